package effects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/assets"
	"github.com/livetryon/server/pkg/apierr"
)

// A glasses frame is a folder holding front.png, the frame seen from the
// front (RGBA, the lenses' tint and transparency in alpha), and
// glasses.json, which says how big it is and where its lenses are:
//
//	{"name": "round", "width_mm": 133, "lens_centers": [[214, 203], [690, 203]],
//	 "title": "Round metal", "hinges": [[3, 113], [899, 113]], "temple_color": "#2a2a2e"}
//
// width_mm is the real width of the whole picture (cropped to the frame,
// end piece to end piece); lens_centers and hinges are pixels of front.png,
// the one on the picture's left first. title, hinges, temple_color and
// temple_width_mm are optional.
type GlassesMeta struct {
	Name          string       `json:"name"`
	Title         string       `json:"title,omitempty"`
	WidthMM       float64      `json:"width_mm"`
	LensCenters   [][2]float64 `json:"lens_centers"`
	Hinges        [][2]float64 `json:"hinges,omitempty"`
	TempleColor   string       `json:"temple_color,omitempty"`
	TempleWidthMM float64      `json:"temple_width_mm,omitempty"`
}

// Limits on a frame's files: start-up reads them, so a huge or endless
// folder must not stall or exhaust the server.
const (
	MaxGlassesFrames = 64       // folders in one directory
	maxFrontBytes    = 16 << 20 // front.png
	maxFrontSide     = 4096     // px, either side of front.png
	maxFrontPixels   = 8 << 20
	maxStoredWidth   = 1280 // px of the largest pyramid level
	minFrontWidth    = 64
	maxMetaBytes     = 64 << 10
	thumbWidth       = 160
)

// glassesName is what a frame may be called: it is used in URLs and in the
// effect's style.
var glassesName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Frame is one loaded catalogue entry, read-only once loaded.
type Frame struct {
	GlassesMeta
	Size        image.Point // of front.png
	Origin      string      // where it came from, for logs: "built-in" or a directory
	lens        [2]point
	hinges      [2]point
	templeColor color.RGBA
	templeMM    float64
	// levels is front.png as premultiplied BGRA, halved at each level,
	// so a warp never shrinks by more than 2 and stays unaliased.
	levels []gocv.Mat
	thumb  []byte // PNG
}

// Thumbnail is a small PNG of the frame, for the page's catalogue.
func (f *Frame) Thumbnail() []byte { return f.thumb }

// GlassesError says which file of a frame was refused and why.
type GlassesError struct {
	File string
	Err  error
}

func (e *GlassesError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *GlassesError) Unwrap() error { return e.Err }

// LoadFrames reads every folder of fsys as a frame. A bad folder is left
// out and reported as a *GlassesError naming its file (shown under dir);
// the others load. Past MaxGlassesFrames folders, the rest are refused,
// and so is a folder whose glasses.json repeats an earlier one's name.
func LoadFrames(fsys fs.FS, dir string) ([]*Frame, []error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []error{&GlassesError{File: dir, Err: err}}
	}
	var frames []*Frame
	var errs []error
	named := map[string]string{} // frame name: the glasses.json that took it
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		where := path.Join(dir, e.Name())
		if n > MaxGlassesFrames {
			errs = append(errs, &GlassesError{File: where, Err: fmt.Errorf("too many frame folders: at most %d are read", MaxGlassesFrames)})
			continue
		}
		sub, err := fs.Sub(fsys, e.Name())
		if err != nil {
			errs = append(errs, &GlassesError{File: where, Err: err})
			continue
		}
		f, err := loadFrame(sub, where)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		metaFile := path.Join(where, "glasses.json")
		if first, taken := named[f.Name]; taken {
			f.close()
			errs = append(errs, &GlassesError{File: metaFile, Err: fmt.Errorf("name %q is already %s's: each frame needs a name of its own", f.Name, first)})
			continue
		}
		named[f.Name] = metaFile
		f.Origin = dir
		frames = append(frames, f)
	}
	return frames, errs
}

// readLimited reads a regular file of at most limit bytes. Anything else
// (a FIFO, a device) is refused before it is opened: opening a FIFO
// would block start-up until something writes to it.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	// From the folder's listing: fs.Sub's FS has no Stat, and fs.Stat
	// would open the file.
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Name() >= name })
	if i == len(entries) || entries[i].Name() != name {
		return nil, fmt.Errorf("no such file: %w", fs.ErrNotExist)
	}
	if t := entries[i].Type(); !t.IsRegular() {
		return nil, fmt.Errorf("not a regular file (%v)", t)
	}
	fh, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

func loadFrame(fsys fs.FS, where string) (*Frame, error) {
	metaFile, pngFile := path.Join(where, "glasses.json"), path.Join(where, "front.png")
	raw, err := readLimited(fsys, "glasses.json", maxMetaBytes)
	if err != nil {
		return nil, &GlassesError{File: metaFile, Err: err}
	}
	var meta GlassesMeta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return nil, &GlassesError{File: metaFile, Err: fmt.Errorf("bad JSON: %v", err)}
	}
	if err := meta.validate(); err != nil {
		return nil, &GlassesError{File: metaFile, Err: err}
	}
	data, err := readLimited(fsys, "front.png", maxFrontBytes)
	if err != nil {
		return nil, &GlassesError{File: pngFile, Err: err}
	}
	// DecodeConfig first: a picture's declared size is checked before a
	// byte of it is decoded.
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &GlassesError{File: pngFile, Err: fmt.Errorf("not a PNG: %v", err)}
	}
	if cfg.Width > maxFrontSide || cfg.Height > maxFrontSide || cfg.Width*cfg.Height > maxFrontPixels {
		return nil, &GlassesError{File: pngFile, Err: fmt.Errorf("picture of %dx%d is too large: at most %d px a side and %d in all", cfg.Width, cfg.Height, maxFrontSide, maxFrontPixels)}
	}
	if cfg.Height > cfg.Width {
		// Glasses are wider than tall; a tall picture would keep its
		// whole height at every pyramid level, past maxStoredWidth's bound.
		return nil, &GlassesError{File: pngFile, Err: fmt.Errorf("picture of %dx%d is taller than wide: glasses are at most as tall as they are wide", cfg.Width, cfg.Height)}
	}
	if cfg.Width < minFrontWidth || cfg.Height < 8 {
		return nil, &GlassesError{File: pngFile, Err: fmt.Errorf("picture of %dx%d is too small: at least %d px wide", cfg.Width, cfg.Height, minFrontWidth)}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &GlassesError{File: pngFile, Err: fmt.Errorf("not a PNG: %v", err)}
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
	draw.Draw(nrgba, nrgba.Rect, img, img.Bounds().Min, draw.Src)
	transparent := false
	for i := 3; i < len(nrgba.Pix); i += 4 {
		if nrgba.Pix[i] < 250 {
			transparent = true
			break
		}
	}
	if !transparent {
		return nil, &GlassesError{File: pngFile, Err: errors.New("no alpha: the picture must be transparent around the frame and at its lenses (RGBA)")}
	}
	for i, c := range meta.LensCenters {
		if c[0] < 0 || c[1] < 0 || c[0] >= float64(cfg.Width) || c[1] >= float64(cfg.Height) {
			return nil, &GlassesError{File: metaFile, Err: fmt.Errorf("lens_centers[%d] (%g, %g) is outside front.png (%dx%d)", i, c[0], c[1], cfg.Width, cfg.Height)}
		}
	}
	for i, c := range meta.Hinges {
		if c[0] < 0 || c[1] < 0 || c[0] > float64(cfg.Width) || c[1] > float64(cfg.Height) {
			return nil, &GlassesError{File: metaFile, Err: fmt.Errorf("hinges[%d] (%g, %g) is outside front.png (%dx%d)", i, c[0], c[1], cfg.Width, cfg.Height)}
		}
	}
	f := &Frame{GlassesMeta: meta, Size: image.Pt(cfg.Width, cfg.Height)}
	f.lens = [2]point{{meta.LensCenters[0][0], meta.LensCenters[0][1]}, {meta.LensCenters[1][0], meta.LensCenters[1][1]}}
	if len(meta.Hinges) == 2 {
		f.hinges = [2]point{{meta.Hinges[0][0], meta.Hinges[0][1]}, {meta.Hinges[1][0], meta.Hinges[1][1]}}
	} else { // the picture's outer edges, a little above the lens centres
		y := (f.lens[0].Y + f.lens[1].Y) / 2 * 0.7
		f.hinges = [2]point{{0, y}, {float64(cfg.Width), y}}
	}
	f.templeColor = color.RGBA{0x20, 0x20, 0x22, 0xff}
	if meta.TempleColor != "" {
		f.templeColor, _ = ParseColor(meta.TempleColor) // validated
	}
	f.templeMM = meta.TempleWidthMM
	if f.templeMM == 0 {
		f.templeMM = 3
	}
	if f.Title == "" {
		f.Title = f.Name
	}
	f.levels = premultipliedLevels(nrgba)
	f.thumb = thumbnail(nrgba)
	return f, nil
}

// close frees the frame's pictures; it must not be drawn afterwards.
func (f *Frame) close() {
	for i := range f.levels {
		f.levels[i].Close()
	}
	f.levels = nil
}

func (m *GlassesMeta) validate() error {
	switch {
	case !glassesName.MatchString(m.Name):
		return fmt.Errorf("name %q: want 1-32 of a-z, 0-9, - and _", apierr.Clip(m.Name, 32))
	case len(m.Title) > 64:
		return errors.New("title: at most 64 characters")
	case !(m.WidthMM >= 60 && m.WidthMM <= 250):
		return fmt.Errorf("width_mm %g: want 60..250", m.WidthMM)
	case len(m.LensCenters) != 2:
		return fmt.Errorf("lens_centers: want two [x, y] pairs, got %d", len(m.LensCenters))
	case m.LensCenters[0][0] >= m.LensCenters[1][0]:
		return errors.New("lens_centers: the one on the picture's left comes first")
	case len(m.Hinges) != 0 && len(m.Hinges) != 2:
		return fmt.Errorf("hinges: want two [x, y] pairs, got %d", len(m.Hinges))
	case m.TempleWidthMM < 0 || m.TempleWidthMM > 15:
		return fmt.Errorf("temple_width_mm %g: want 0..15", m.TempleWidthMM)
	}
	if m.TempleColor != "" {
		if _, err := ParseColor(m.TempleColor); err != nil {
			return fmt.Errorf("temple_color: %v", err)
		}
	}
	return nil
}

// premultipliedLevels converts the picture to BGRA with colour multiplied by
// alpha (so warping and halving blend edges correctly) and halves it down
// to about 64 px wide.
func premultipliedLevels(img *image.NRGBA) []gocv.Mat {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	buf := make([]byte, 4*w*h)
	for i := 0; i < w*h; i++ {
		r, g, b, a := uint32(img.Pix[4*i]), uint32(img.Pix[4*i+1]), uint32(img.Pix[4*i+2]), uint32(img.Pix[4*i+3])
		buf[4*i] = uint8((b*a + 127) / 255)
		buf[4*i+1] = uint8((g*a + 127) / 255)
		buf[4*i+2] = uint8((r*a + 127) / 255)
		buf[4*i+3] = uint8(a)
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC4, buf)
	if err != nil {
		panic(err) // sizes checked above
	}
	// The largest level is at most maxStoredWidth wide: glasses that wide
	// cover a face a 4K camera sees from arm's length, and 64 user frames
	// then hold at most a few hundred MB whatever their pictures' size.
	var top gocv.Mat
	if w > maxStoredWidth {
		top = gocv.NewMat()
		gocv.Resize(m, &top, image.Pt(maxStoredWidth, max(1, h*maxStoredWidth/w)), 0, 0, gocv.InterpolationArea)
	} else {
		top = m.Clone() // NewMatFromBytes shares buf; own the pixels
	}
	m.Close()
	levels := []gocv.Mat{top}
	for levels[len(levels)-1].Cols() >= 128 {
		next := gocv.NewMat()
		gocv.PyrDown(levels[len(levels)-1], &next, image.Point{}, gocv.BorderReflect101)
		levels = append(levels, next)
	}
	return levels
}

func thumbnail(img *image.NRGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tw := thumbWidth
	th := max(1, int(math.Round(float64(h)*float64(tw)/float64(w))))
	out := image.NewNRGBA(image.Rect(0, 0, tw, th))
	// Box filter: every source pixel counts, weighted by alpha.
	for ty := 0; ty < th; ty++ {
		y0, y1 := ty*h/th, max(ty*h/th+1, (ty+1)*h/th)
		for tx := 0; tx < tw; tx++ {
			x0, x1 := tx*w/tw, max(tx*w/tw+1, (tx+1)*w/tw)
			var r, g, b, a, n float64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					p := img.Pix[img.PixOffset(x, y):]
					al := float64(p[3])
					r, g, b, a, n = r+float64(p[0])*al, g+float64(p[1])*al, b+float64(p[2])*al, a+al, n+1
				}
			}
			o := out.Pix[out.PixOffset(tx, ty):]
			if a > 0 {
				o[0], o[1], o[2] = uint8(r/a+0.5), uint8(g/a+0.5), uint8(b/a+0.5)
			}
			o[3] = uint8(a/n + 0.5)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, out) // to memory: cannot fail
	return buf.Bytes()
}

// catalogue is the frames Build can use, by name.
type catalogue struct {
	once   sync.Once // loads the built-in frames
	mu     sync.RWMutex
	frames map[string]*Frame
}

var glassesCatalogue = &catalogue{frames: map[string]*Frame{}}

// builtins loads the built-in frames on first use rather than at start-up:
// decoding them takes a few hundred milliseconds that a process which never
// draws glasses (most tests, a lipstick-only CLI run) should not pay.
func (c *catalogue) builtins() *catalogue {
	c.once.Do(func() {
		frames, errs := LoadFrames(assets.Glasses(), "built-in")
		if len(errs) > 0 {
			panic(fmt.Sprintf("built-in glasses: %v", errors.Join(errs...))) // caught by the tests
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, f := range frames {
			if _, mine := c.frames[f.Name]; !mine {
				c.frames[f.Name] = f
			}
		}
	})
	return c
}

// LoadGlasses loads the built-in catalogue now, if it is not yet: a server
// calls it at start-up, so no client's first glasses wait for it.
func LoadGlasses() { glassesCatalogue.builtins() }

// AddGlassesDir loads the frames in dir (one folder each) into the
// catalogue, replacing those of the same name (glasses.json's name, not the
// folder's). It returns the frames added and one error per frame refused,
// each naming its file. A replaced frame's pictures are freed, so it runs
// at start-up, before any glasses effect draws.
func AddGlassesDir(dir string) ([]*Frame, []error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, []error{&GlassesError{File: dir, Err: err}}
	}
	frames, errs := LoadFrames(os.DirFS(dir), dir)
	glassesCatalogue.builtins().mu.Lock()
	defer glassesCatalogue.mu.Unlock()
	for _, f := range frames {
		if old, ok := glassesCatalogue.frames[f.Name]; ok && old != f {
			old.close()
		}
		glassesCatalogue.frames[f.Name] = f
	}
	return frames, errs
}

// GlassesFrame returns the catalogue's frame of that name.
func GlassesFrame(name string) (*Frame, bool) {
	glassesCatalogue.builtins().mu.RLock()
	defer glassesCatalogue.mu.RUnlock()
	f, ok := glassesCatalogue.frames[name]
	return f, ok
}

// GlassesFrames lists the catalogue, sorted by name.
func GlassesFrames() []*Frame {
	glassesCatalogue.builtins().mu.RLock()
	defer glassesCatalogue.mu.RUnlock()
	out := make([]*Frame, 0, len(glassesCatalogue.frames))
	for _, f := range glassesCatalogue.frames {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GlassesStyles lists the catalogue's names, sorted: the glasses effect's
// styles.
func GlassesStyles() []string {
	frames := GlassesFrames()
	names := make([]string, len(frames))
	for i, f := range frames {
		names[i] = f.Name
	}
	return names
}

func knownStyles() string { return strings.Join(GlassesStyles(), ", ") }

// RestoreBuiltInGlasses puts the built-in frame of that name back in the
// catalogue, loaded afresh, for tests that replaced it (which freed the
// one they replaced).
func RestoreBuiltInGlasses(name string) error {
	frames, errs := LoadFrames(assets.Glasses(), "built-in")
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	var found *Frame
	for _, f := range frames {
		if f.Name == name {
			found = f
		} else {
			f.close()
		}
	}
	if found == nil {
		return fmt.Errorf("no built-in glasses %q", name)
	}
	glassesCatalogue.builtins().mu.Lock()
	defer glassesCatalogue.mu.Unlock()
	if old, ok := glassesCatalogue.frames[name]; ok {
		old.close()
	}
	glassesCatalogue.frames[name] = found
	return nil
}
