package cvjpeg

import (
	"encoding/binary"

	"gocv.io/x/gocv"
)

// Orientation returns the EXIF orientation (1 to 8) of a JPEG, 1 when it
// has none. Phones store a portrait photo as landscape pixels with tag 6
// or 8 rather than turn the pixels. Only the segments before the first
// scan are read, each within its own length.
func Orientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // scan or end: no EXIF before it
			return 1
		}
		length := int(binary.BigEndian.Uint16(b[i+2:]))
		if length < 2 || i+2+length > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+length]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + length
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of a TIFF header's first directory,
// 0 when absent or malformed.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0
	}
	dir := int(order.Uint32(t[4:]))
	if dir < 8 || dir+2 > len(t) {
		return 0
	}
	n := int(order.Uint16(t[dir:]))
	for k := 0; k < n; k++ {
		e := dir + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if order.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// A SHORT, whose value sits in the entry's first two value bytes.
		if order.Uint16(t[e+2:]) != 3 {
			return 0
		}
		if o := int(order.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// orient turns m upright from EXIF orientation o, as OpenCV's imdecode does.
func orient(m *gocv.Mat, o int) {
	if o <= 1 || o > 8 {
		return
	}
	out := gocv.NewMat()
	switch o {
	case 2:
		gocv.Flip(*m, &out, 1)
	case 3:
		gocv.Flip(*m, &out, -1)
	case 4:
		gocv.Flip(*m, &out, 0)
	default: // 5 to 8 swap the sides
		t := gocv.NewMat()
		gocv.Transpose(*m, &t)
		switch o {
		case 5:
			t.CopyTo(&out)
		case 6:
			gocv.Flip(t, &out, 1)
		case 7:
			gocv.Flip(t, &out, -1)
		case 8:
			gocv.Flip(t, &out, 0)
		}
		t.Close()
	}
	m.Close()
	*m = out
}
