package headpose_test

import (
	"encoding/xml"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/internal/testmedia"
	"github.com/livetryon/server/pkg/headpose"
	"github.com/livetryon/server/pkg/landmarks"
)

// Synthetic returns the 68 points of the model head at pose p, its eyes'
// midpoint at distance mm from a camera for a frame of the given size, as
// integer pixels as dlib gives them.
func synthetic(p landmarks.Pose, size image.Point, distance float64) landmarks.Shape {
	r := headpose.Rotation(p)
	cam := headpose.CameraFor(size)
	var s landmarks.Shape
	for i, m := range headpose.Model {
		x, y := cam.Project(r.Apply(m).Add(headpose.Vec3{Z: distance}))
		s[i] = image.Pt(int(math.Round(x)), int(math.Round(y)))
	}
	return s
}

// A rendered synthetic head at known orientations: the fit finds them.
func TestEstimateSyntheticHead(t *testing.T) {
	size := image.Pt(640, 480)
	for _, want := range []landmarks.Pose{
		{}, {Yaw: 30}, {Yaw: -30}, {Yaw: 45}, {Pitch: 15}, {Pitch: -20}, {Roll: 20}, {Roll: -12},
		{Yaw: 25, Pitch: -10, Roll: 8}, {Yaw: -35, Pitch: 12, Roll: -15},
	} {
		for _, dist := range []float64{450, 900} {
			t.Run(fmt.Sprintf("%+v@%gmm", want, dist), func(t *testing.T) {
				s := synthetic(want, size, dist)
				got := headpose.Estimate(&s, size)
				if math.Abs(got.Yaw-want.Yaw) > 10 || math.Abs(got.Pitch-want.Pitch) > 10 || math.Abs(got.Roll-want.Roll) > 10 {
					t.Errorf("estimated %+v, want %+v within 10°", got, want)
				}
				if want.Yaw != 0 && (got.Yaw > 0) != (want.Yaw > 0) {
					t.Errorf("yaw %+.1f has the wrong sign (want %+.0f)", got.Yaw, want.Yaw)
				}
			})
		}
	}
}

// A real face and its mirror image: the yaws have opposite signs (the
// portrait looks slightly to one side) and equal sizes, and both are near
// frontal; the roll flips too.
func TestEstimateMirroredFace(t *testing.T) {
	jpg, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := cvjpeg.Decode(jpg)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	flipped := gocv.NewMat()
	defer flipped.Close()
	gocv.Flip(img, &flipped, 1)
	fjpg, err := cvjpeg.EncodeBytes(flipped, cvjpeg.Options{Quality: 95})
	if err != nil {
		t.Fatal(err)
	}
	size := image.Pt(img.Cols(), img.Rows())
	a := testmedia.Faces(t, jpg)
	b := testmedia.Faces(t, fjpg)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("want one face in each, got %d and %d", len(a), len(b))
	}
	pa, pb := headpose.Estimate(&a[0].Points, size), headpose.Estimate(&b[0].Points, size)
	t.Logf("original %+v, mirrored %+v", pa, pb)
	if math.Abs(pa.Yaw) > 20 || math.Abs(pb.Yaw) > 20 {
		t.Errorf("a frontal portrait estimated at yaw %.1f / %.1f", pa.Yaw, pb.Yaw)
	}
	if math.Abs(pa.Yaw+pb.Yaw) > 3 {
		t.Errorf("mirroring should flip the yaw: %.1f and %.1f", pa.Yaw, pb.Yaw)
	}
	if math.Abs(pa.Pitch-pb.Pitch) > 3 {
		t.Errorf("mirroring should keep the pitch: %.1f and %.1f", pa.Pitch, pb.Pitch)
	}
}

// A real face turned by warping: the portrait's landmarks, lifted onto the
// model's depths and turned 30° each way, keep yaw's sign.
func TestEstimateTurnedRealLandmarks(t *testing.T) {
	jpg, err := os.ReadFile(testmedia.Path("obama-480p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	faces := testmedia.Faces(t, jpg)
	size := image.Pt(853, 480)
	base := headpose.Estimate(&faces[0].Points, size)
	for _, yaw := range []float64{-30, 30} {
		s := synthetic(landmarks.Pose{Yaw: base.Yaw + yaw, Pitch: base.Pitch, Roll: base.Roll}, size, 600)
		got := headpose.Estimate(&s, size)
		if math.Abs(got.Yaw-(base.Yaw+yaw)) > 10 {
			t.Errorf("turned %+.0f°: estimated yaw %.1f, want %.1f", yaw, got.Yaw, base.Yaw+yaw)
		}
	}
}

func BenchmarkEstimate(b *testing.B) {
	size := image.Pt(640, 480)
	s := synthetic(landmarks.Pose{Yaw: 20, Pitch: 5, Roll: 3}, size, 600)
	b.ReportAllocs()
	for b.Loop() {
		headpose.Estimate(&s, size)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/face")
}

// Landmarks from real faces, mirrored (each point moved to the mirror image
// of its partner across the midline, as dlib would find them on the
// flipped photo): the yaw flips sign and keeps its size, the pitch stays.
// dlib's reference points for the shared photos' 25 faces, many turned.
func TestEstimateMirroredReferenceFaces(t *testing.T) {
	f, err := os.Open(testmedia.Path("faces/testing_with_face_landmarks.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var doc struct {
		Images []struct {
			Boxes []struct {
				Parts []struct {
					Name string `xml:"name,attr"`
					X    int    `xml:"x,attr"`
					Y    int    `xml:"y,attr"`
				} `xml:"part"`
			} `xml:"box"`
		} `xml:"images>image"`
	}
	dec := xml.NewDecoder(f)
	// The file declares ISO-8859-1 but is plain ASCII.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	size := image.Pt(1000, 800)
	turned := 0
	for _, img := range doc.Images {
		for _, box := range img.Boxes {
			var s, m landmarks.Shape
			for _, p := range box.Parts {
				i, _ := strconv.Atoi(p.Name)
				s[i] = image.Pt(p.X, p.Y)
			}
			for i := range s {
				j := headpose.Mirror(i)
				m[i] = image.Pt(size.X-1-s[j].X, s[j].Y)
			}
			a, b := headpose.Estimate(&s, size), headpose.Estimate(&m, size)
			if math.Abs(a.Yaw) > 8 {
				turned++
				if (a.Yaw > 0) == (b.Yaw > 0) {
					t.Errorf("yaw %.1f, mirrored %.1f: same sign", a.Yaw, b.Yaw)
				}
			}
			if math.Abs(a.Yaw+b.Yaw) > 3 || math.Abs(a.Pitch-b.Pitch) > 3 || math.Abs(a.Roll+b.Roll) > 3 {
				t.Errorf("pose %+.1f, mirrored %+.1f: want yaw and roll negated, pitch kept", a, b)
			}
		}
	}
	t.Logf("%d of the faces turned more than 8°", turned)
	if turned < 3 {
		t.Errorf("only %d turned faces: the test shows little", turned)
	}
}

func TestEstimateDegenerateIsFinite(t *testing.T) {
	var s landmarks.Shape // every point at (0, 0)
	p := headpose.Estimate(&s, image.Pt(640, 480))
	if math.IsNaN(p.Yaw+p.Pitch+p.Roll) || math.IsInf(p.Yaw+p.Pitch+p.Roll, 0) {
		t.Fatalf("pose %+v", p)
	}
}
