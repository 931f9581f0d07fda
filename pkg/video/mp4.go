package video

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// SetRotation writes the display rotation of an MP4's video track, in
// degrees clockwise (0, 90, 180, 270), into the track header's matrix, in
// place. Debian's ffmpeg 5.1 can no longer be told to write one (its
// "rotate" metadata was removed, and -display_rotation came in 6.0), and
// a phone's portrait video must come back as portrait.
func SetRotation(path string, degrees int) error {
	matrix, ok := rotationMatrices[degrees]
	if !ok {
		return fmt.Errorf("video: a rotation of %d degrees is not a quarter turn", degrees)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	moovAt, moovSize, err := findBox(f, 0, st.Size(), "moov")
	if err != nil {
		return err
	}
	if moovSize > 64<<20 {
		return errors.New("video: the MP4's index is over 64 MiB")
	}
	moov := make([]byte, moovSize)
	if _, err := f.ReadAt(moov, moovAt); err != nil {
		return err
	}
	at, err := videoTrackMatrix(moov)
	if err != nil {
		return err
	}
	var b [36]byte
	for i, v := range matrix {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	if _, err := f.WriteAt(b[:], moovAt+int64(at)); err != nil {
		return err
	}
	return f.Sync()
}

// rotationMatrices are the track header matrices ffmpeg wrote for its
// "rotate" tag: 16.16 fixed point, except the third column's 2.30. The
// translation is left 0: players place the turned picture themselves.
var rotationMatrices = map[int][9]int32{
	0:   {1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30},
	90:  {0, 1 << 16, 0, -1 << 16, 0, 0, 0, 0, 1 << 30},
	180: {-1 << 16, 0, 0, 0, -1 << 16, 0, 0, 0, 1 << 30},
	270: {0, -1 << 16, 0, 1 << 16, 0, 0, 0, 0, 1 << 30},
}

// findBox finds the top-level box named name between from and to in r:
// the offset of its content, and the content's size.
func findBox(r io.ReaderAt, from, to int64, name string) (int64, int64, error) {
	var h [16]byte
	for at := from; at+8 <= to; {
		if _, err := r.ReadAt(h[:8], at); err != nil {
			return 0, 0, fmt.Errorf("video: reading the MP4's boxes: %w", err)
		}
		size, header := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		switch size {
		case 1: // a 64-bit size follows the name
			if _, err := r.ReadAt(h[8:16], at+8); err != nil {
				return 0, 0, err
			}
			size, header = int64(binary.BigEndian.Uint64(h[8:16])), 16
		case 0: // to the end of the file
			size = to - at
		}
		if size < header || at+size > to {
			return 0, 0, errors.New("video: the MP4's boxes are damaged")
		}
		if string(h[4:8]) == name {
			return at + header, size - header, nil
		}
		at += size
	}
	return 0, 0, fmt.Errorf("video: the MP4 has no %s box", name)
}

// videoTrackMatrix finds, in a moov box's content, the offset of the
// matrix in the track header of the first video track.
func videoTrackMatrix(moov []byte) (int, error) {
	r := bytes.NewReader(moov)
	for at := int64(0); at < int64(len(moov)); {
		trak, size, err := findBox(r, at, int64(len(moov)), "trak")
		if err != nil {
			return 0, errors.New("video: the MP4 has no video track")
		}
		at = trak + size
		end := trak + size
		mdia, mdiaSize, err := findBox(r, trak, end, "mdia")
		if err != nil {
			continue
		}
		hdlr, hdlrSize, err := findBox(r, mdia, mdia+mdiaSize, "hdlr")
		// hdlr: version and flags (4), pre-defined (4), then the handler type.
		if err != nil || hdlrSize < 12 || string(moov[hdlr+8:hdlr+12]) != "vide" {
			continue
		}
		tkhd, tkhdSize, err := findBox(r, trak, end, "tkhd")
		if err != nil {
			return 0, err
		}
		// Version 0 has 32-bit times and duration, version 1 64-bit; then
		// reserved (8), layer, group, volume, reserved (2 each): the matrix.
		off := int64(4 + 20 + 16)
		if moov[tkhd] == 1 {
			off = 4 + 32 + 16
		}
		if off+36 > tkhdSize {
			return 0, errors.New("video: the MP4's track header is damaged")
		}
		return int(tkhd + off), nil
	}
	return 0, errors.New("video: the MP4 has no video track")
}
