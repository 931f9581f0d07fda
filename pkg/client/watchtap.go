package client

import (
	"time"

	"gocv.io/x/gocv"

	"github.com/livetryon/server/internal/cvjpeg"
	"github.com/livetryon/server/pkg/pipeline"
)

// watchTap is put before a video transport's Encoder: the watch stream
// is served JPEG (/watch/{id}), which a video answer does not carry, so
// the tap makes one from the processed picture, on the worker, before the
// codec has it. Only when someone watches, and once a second for the
// snapshot (WantsPicture); at the server's JPEG quality, as every other
// transport's answers.
type watchTap struct {
	c    *Client
	next pipeline.Encoder
	jpeg cvjpeg.Options
}

func (w watchTap) Encode(img gocv.Mat, captured time.Time) (EncodedFrame, error) {
	if w.c.WantsPicture() {
		if jpg, err := cvjpeg.EncodeBytes(img, w.jpeg); err == nil {
			w.c.PublishPicture(jpg)
		}
	}
	return w.next.Encode(img, captured)
}
