package testmedia

import (
	"testing"

	"github.com/livetryon/server/internal/cvimage"
	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/landmarks"
)

// FacesUpsampled is Faces with the detector upsampling the photo up times
// (0: none), as dlib does for the small faces of the VOC photos in faces/.
func FacesUpsampled(t testing.TB, jpg []byte, up int) []landmarks.Face {
	t.Helper()
	facesMu.Lock()
	defer facesMu.Unlock()
	img, err := cvjpeg.DecodeGray(jpg, 1)
	if err != nil || img.Empty() {
		t.Fatalf("decode: %v", err)
	}
	defer img.Close()
	g, err := cvimage.Gray(img)
	if err != nil {
		t.Fatal(err)
	}
	if detector == nil {
		if detector, err = landmarks.NewDetector(); err != nil {
			t.Fatal(err)
		}
	}
	if predictor == nil {
		if predictor, err = landmarks.LoadPredictor(landmarks.DefaultModelPath); err != nil {
			t.Fatal(err)
		}
	}
	boxes, err := detector.Detect(g, up)
	if err != nil {
		t.Fatal(err)
	}
	faces := make([]landmarks.Face, len(boxes))
	for i, b := range boxes {
		faces[i].Box = b
		if faces[i].Points, err = predictor.Predict(g, b); err != nil {
			t.Fatal(err)
		}
	}
	return faces
}
