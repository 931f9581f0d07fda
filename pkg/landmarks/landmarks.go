// Package landmarks finds faces and their 68 iBUG 300-W landmarks with dlib.
//
// dlib is reached through a small cgo shim (dlib.cpp) rather than a binding
// such as github.com/Kagami/go-face, which always loads a 5-point model and a
// ResNet recognition model that no Debian package ships, and links -lcblas,
// which Debian lacks. The shim reads pixels in place: a *image.Gray, whether
// its Pix is Go memory or an OpenCV Mat's buffer, is never copied.
//
// A Detector keeps scratch state and must be used by one goroutine at a time;
// give each worker its own. A Predictor is read-only after loading and is
// shared by every worker.
package landmarks

/*
#cgo pkg-config: dlib-1
#cgo CXXFLAGS: -std=c++14 -O3 -DNDEBUG
// -O3 vectorises the shape predictor's sums of 136-float leaves, which
// -O2 leaves scalar: a fit takes half the time (docs/BENCHMARKS.md).
#include <stdlib.h>
#include "dlib.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"runtime"
	"unsafe"
)

// DefaultModelPath is where Debian's libdlib-data package installs the model.
const DefaultModelPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

// NumPoints is the number of landmarks in the iBUG 300-W scheme.
const NumPoints = 68

// Index ranges of the iBUG 300-W scheme that effects rely on.
const (
	RightEyeStart, RightEyeEnd     = 36, 42 // the subject's right eye, image left
	LeftEyeStart, LeftEyeEnd       = 42, 48
	OuterLipsStart, OuterLipsEnd   = 48, 60
	InnerMouthStart, InnerMouthEnd = 60, 68
)

// maxFaces bounds how many faces one call reports; more than this in a
// single camera frame is not a try-on scene.
const maxFaces = 32

// ErrModelMissing is returned by LoadPredictor when the model file is absent.
var ErrModelMissing = errors.New("landmark model not found (install the Debian package libdlib-data, or pass its path)")

// Shape is the 68 landmarks of one face, in image pixel coordinates.
type Shape [NumPoints]image.Point

// Face is one detected face: its detector box, its landmarks and, once
// estimated (package headpose), its head pose.
type Face struct {
	Box    image.Rectangle
	Points Shape
	Pose   *Pose
}

// Pose is a head's orientation in degrees: yaw > 0 when the nose points
// toward the image's right, pitch > 0 when the face looks up, roll > 0 when
// the head tilts clockwise in the image.
type Pose struct {
	Yaw, Pitch, Roll float64
}

// Detector is dlib's HOG frontal face detector.
type Detector struct {
	c *C.tryon_detector
}

// NewDetector builds a detector. Call Close to free it.
func NewDetector() (*Detector, error) {
	c := C.tryon_detector_new()
	if c == nil {
		return nil, errors.New("landmarks: cannot create detector")
	}
	d := &Detector{c: c}
	runtime.SetFinalizer(d, (*Detector).Close)
	return d, nil
}

// Close frees the detector. It is safe to call twice.
func (d *Detector) Close() {
	if d.c != nil {
		C.tryon_detector_free(d.c)
		d.c = nil
	}
}

// Detect returns face boxes in img's coordinates. upsample doubles the image
// that many times first, which finds faces down to about 40 px / 2^upsample
// wide at roughly 4^upsample the cost.
func (d *Detector) Detect(img *image.Gray, upsample int) ([]image.Rectangle, error) {
	g, err := grayView(img)
	if err != nil {
		return nil, err
	}
	var boxes [4 * maxFaces]C.int
	var msg [256]C.char
	n := C.tryon_detect(d.c, g, C.int(upsample), &boxes[0], maxFaces, &msg[0], C.int(len(msg)))
	runtime.KeepAlive(img)
	if n < 0 {
		return nil, fmt.Errorf("landmarks: detect: %s", C.GoString(&msg[0]))
	}
	count := min(int(n), maxFaces)
	rects := make([]image.Rectangle, count)
	off := img.Rect.Min
	for i := range rects {
		rects[i] = image.Rect(int(boxes[4*i]), int(boxes[4*i+1]), int(boxes[4*i+2]), int(boxes[4*i+3])).Add(off)
	}
	return rects, nil
}

// Predictor is dlib's shape predictor loaded from a model file.
type Predictor struct {
	c *C.tryon_predictor
}

// LoadPredictor reads a 68-point shape_predictor model, such as
// DefaultModelPath.
func LoadPredictor(path string) (*Predictor, error) { return LoadPredictorCascades(path, 0) }

// LoadPredictorCascades is LoadPredictor keeping only the model's first
// cascades regression cascades (all when 0 or more than it has). Each
// cascade refines the shape the previous ones left; the fit's cost and
// the model's memory grow with their number.
func LoadPredictorCascades(path string, cascades int) (*Predictor, error) {
	return loadPredictor(path, func(cpath *C.char, msg *C.char, n C.int) *C.tryon_predictor {
		return C.tryon_predictor_load(cpath, C.int(cascades), msg, n)
	})
}

// loadDlibPredictor loads the model as dlib's own shape_predictor, which
// the flat form LoadPredictor gives is tested against.
func loadDlibPredictor(path string) (*Predictor, error) {
	return loadPredictor(path, func(cpath *C.char, msg *C.char, n C.int) *C.tryon_predictor {
		return C.tryon_predictor_load_dlib(cpath, msg, n)
	})
}

func loadPredictor(path string, load func(cpath, msg *C.char, n C.int) *C.tryon_predictor) (*Predictor, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrModelMissing, path)
		}
		return nil, fmt.Errorf("landmarks: %w", err)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg [256]C.char
	c := load(cpath, &msg[0], C.int(len(msg)))
	if c == nil {
		return nil, fmt.Errorf("landmarks: load %s: %s", path, C.GoString(&msg[0]))
	}
	p := &Predictor{c: c}
	if parts := int(C.tryon_predictor_parts(c)); parts != NumPoints {
		p.Close()
		return nil, fmt.Errorf("landmarks: %s has %d parts, want %d", path, parts, NumPoints)
	}
	runtime.SetFinalizer(p, (*Predictor).Close)
	return p, nil
}

// Close frees the model. It is safe to call twice.
func (p *Predictor) Close() {
	if p.c != nil {
		C.tryon_predictor_free(p.c)
		p.c = nil
	}
}

// Predict fits the 68 landmarks of the face inside box. It is safe to call
// from several goroutines at once.
func (p *Predictor) Predict(img *image.Gray, box image.Rectangle) (Shape, error) {
	var shape Shape
	g, err := grayView(img)
	if err != nil {
		return shape, err
	}
	box = box.Sub(img.Rect.Min)
	cbox := [4]C.int{C.int(box.Min.X), C.int(box.Min.Y), C.int(box.Max.X), C.int(box.Max.Y)}
	var pts [2 * NumPoints]C.int
	var msg [256]C.char
	n := C.tryon_predict(p.c, g, &cbox[0], &pts[0], NumPoints, &msg[0], C.int(len(msg)))
	runtime.KeepAlive(img)
	if n < 0 {
		return shape, fmt.Errorf("landmarks: predict: %s", C.GoString(&msg[0]))
	}
	off := img.Rect.Min
	for i := range shape {
		shape[i] = image.Pt(int(pts[2*i]), int(pts[2*i+1])).Add(off)
	}
	return shape, nil
}

func grayView(img *image.Gray) (C.tryon_gray, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 || len(img.Pix) < (h-1)*img.Stride+w {
		return C.tryon_gray{}, fmt.Errorf("landmarks: empty or short image %dx%d", w, h)
	}
	return C.tryon_gray{
		pix:    (*C.uchar)(unsafe.Pointer(&img.Pix[0])),
		rows:   C.int(h),
		cols:   C.int(w),
		stride: C.int(img.Stride),
	}, nil
}

// InterOcular is the distance between the two eye centres, the usual scale
// for landmark error and for sizing effects.
func (s *Shape) InterOcular() float64 {
	r := s.centroid(RightEyeStart, RightEyeEnd)
	l := s.centroid(LeftEyeStart, LeftEyeEnd)
	dx, dy := l[0]-r[0], l[1]-r[1]
	return math.Sqrt(dx*dx + dy*dy)
}

func (s *Shape) centroid(from, to int) [2]float64 {
	var x, y float64
	for _, p := range s[from:to] {
		x += float64(p.X)
		y += float64(p.Y)
	}
	n := float64(to - from)
	return [2]float64{x / n, y / n}
}

// MarshalJSON writes a face as the protocol's
// {"box":{"x":..,"y":..,"w":..,"h":..},"points":[[x,y], ... 68 pairs],
// "pose":{"yaw":..,"pitch":..,"roll":..}}, the pose in degrees when known.
func (f Face) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64+NumPoints*12)
	b = fmt.Appendf(b, `{"box":{"x":%d,"y":%d,"w":%d,"h":%d},"points":[`, f.Box.Min.X, f.Box.Min.Y, f.Box.Dx(), f.Box.Dy())
	for i, p := range f.Points {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "[%d,%d]", p.X, p.Y)
	}
	b = append(b, ']')
	if f.Pose != nil {
		b = fmt.Appendf(b, `,"pose":{"yaw":%.1f,"pitch":%.1f,"roll":%.1f}`, f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll)
	}
	return append(b, '}'), nil
}
