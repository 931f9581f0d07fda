package headpose

import "github.com/livetryon/server/pkg/landmarks"

// Model is the generic head the pose is fitted to: the 68 iBUG points in
// millimetres, x toward the image's right, y down and z away from the
// camera for a face looking into it, the origin at the eyes' midpoint and
// the eye centres 63 mm apart.
//
// x and y are a frontal dlib fit (obama-480p.jpg), made symmetric; z is
// from adult anthropometric depths (nose tip, nasion, cheeks, jaw behind
// the eyes), set by hand. Being generic, it fits no one exactly: the pose
// is good to a few degrees, which is what sizing and turning glasses need.
var Model = buildModel()

// EyeDepth is the model's depth of the eye centres (the corneas lie about
// this far behind the nose tip).
const EyeDepth = 28

// frontal2D is one frontal fit, in pixels.
var frontal2D = [landmarks.NumPoints][2]float64{
	{388, 99}, {389, 114}, {391, 128}, {394, 143}, {399, 156}, {408, 168}, {418, 179}, {429, 187},
	{443, 189}, {458, 186}, {469, 177}, {479, 165}, {487, 153}, {492, 140}, {494, 126}, {496, 112},
	{497, 99}, {401, 92}, {407, 85}, {416, 81}, {426, 82}, {436, 84}, {453, 83}, {462, 80},
	{472, 80}, {482, 84}, {487, 91}, {444, 93}, {445, 102}, {445, 111}, {445, 121}, {431, 127},
	{438, 128}, {444, 130}, {451, 128}, {458, 126}, {412, 96}, {418, 93}, {424, 93}, {430, 96},
	{424, 97}, {418, 97}, {459, 96}, {465, 92}, {471, 93}, {477, 96}, {471, 97}, {465, 97},
	{417, 143}, {426, 139}, {436, 138}, {445, 139}, {452, 138}, {462, 138}, {471, 141}, {462, 153},
	{453, 158}, {445, 160}, {436, 159}, {426, 154}, {419, 144}, {437, 141}, {445, 142}, {452, 141},
	{468, 142}, {453, 152}, {445, 153}, {436, 152},
}

// depth is each point's z in mm behind the nose tip (point 30).
var depth = [landmarks.NumPoints]float64{
	// jaw 0-16: from beside the ears round to the chin
	80, 77, 72, 65, 56, 45, 34, 25, 21, 25, 34, 45, 56, 65, 72, 77, 80,
	// brows 17-21, 22-26
	40, 30, 24, 21, 20, 20, 21, 24, 30, 40,
	// nose bridge 27-30, nostrils 31-35
	21, 14, 7, 0, 15, 11, 9, 11, 15,
	// right eye 36-41 (outer corner first), left eye 42-47 (inner first)
	34, 27, 26, 28, 26, 27, 28, 26, 27, 34, 27, 26,
	// outer lips 48-59, inner 60-67
	30, 21, 16, 14, 16, 21, 30, 22, 18, 17, 18, 22,
	28, 19, 17, 19, 28, 19, 18, 19,
}

// mirror pairs each point with its mirror image across the face's midline.
var mirror = func() [landmarks.NumPoints]int {
	var m [landmarks.NumPoints]int
	pair := func(a, b int) { m[a], m[b] = b, a }
	for i := 0; i <= 8; i++ {
		pair(i, 16-i)
	}
	for i := 0; i < 5; i++ {
		pair(17+i, 26-i)
	}
	for _, p := range [][2]int{{27, 27}, {28, 28}, {29, 29}, {30, 30}, {31, 35}, {32, 34}, {33, 33},
		{36, 45}, {37, 44}, {38, 43}, {39, 42}, {40, 47}, {41, 46},
		{48, 54}, {49, 53}, {50, 52}, {51, 51}, {55, 59}, {56, 58}, {57, 57},
		{60, 64}, {61, 63}, {62, 62}, {65, 67}, {66, 66}} {
		pair(p[0], p[1])
	}
	return m
}()

// Mirror returns the index of point i's mirror image across the midline.
func Mirror(i int) int { return mirror[i] }

func buildModel() [landmarks.NumPoints]Vec3 {
	var re, le [2]float64
	for i := 36; i < 42; i++ {
		re[0] += frontal2D[i][0] / 6
		re[1] += frontal2D[i][1] / 6
		le[0] += frontal2D[i+6][0] / 6
		le[1] += frontal2D[i+6][1] / 6
	}
	mx, my := (re[0]+le[0])/2, (re[1]+le[1])/2
	scale := 63 / (le[0] - re[0])
	var m [landmarks.NumPoints]Vec3
	for i := range m {
		j := mirror[i]
		x := ((frontal2D[i][0] - mx) - (frontal2D[j][0] - mx)) / 2 // symmetric
		y := ((frontal2D[i][1] + frontal2D[j][1]) / 2) - my
		m[i] = Vec3{x * scale, y * scale, depth[i] - EyeDepth}
	}
	return m
}
