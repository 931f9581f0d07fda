package parser

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodePayload is json.NewDecoder(bytes.NewReader(b)).Decode into an any,
// the packet decoder's only use of JSON (this copy's change, see README.md),
// with a fast path for what a client sends: arrays, objects, numbers and
// strings without escapes. A camera frame's event is one data URL of 30 to
// 200 KB, which encoding/json scans twice, byte by byte, into a copy of the
// message; here it is one pass, 8 bytes at a time, and one copy. Anything
// the fast path does not take (an escape, a deep nesting, a malformed
// value) goes to encoding/json, so the result and the errors are its own:
// TestEventPayloadsDecodeLikeEncodingJSON and FuzzEventPayload, in
// pkg/transport/socketio, check that the two agree.
func decodePayload(b []byte) (any, error) {
	p := fastJSON{b: b}
	if v, ok := p.value(0); ok {
		return v, nil // what follows the first value is not read, as Decoder.Decode
	}
	var payload any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&payload); err != nil {
		return nil, err
	}
	return payload, nil
}

// fastMaxDepth bounds the fast path's recursion; deeper values go to
// encoding/json, which has its own limit.
const fastMaxDepth = 32

type fastJSON struct {
	b []byte
	i int
}

func (p *fastJSON) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastJSON) value(depth int) (any, bool) {
	p.space()
	if p.i >= len(p.b) || depth > fastMaxDepth {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == '[':
		return p.array(depth)
	case c == '{':
		return p.object(depth)
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, false
}

func (p *fastJSON) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word { // a comparison: no copy
		return false
	}
	p.i += len(word)
	return true
}

func (p *fastJSON) array(depth int) (any, bool) {
	p.i++ // [
	out := make([]any, 0, 2)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return out, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, true
		default:
			return nil, false
		}
	}
}

func (p *fastJSON) object(depth int) (any, bool) {
	p.i++ // {
	out := map[string]any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return out, true
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		out[key] = v // the last of a repeated key wins, as in encoding/json
		p.space()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return out, true
		default:
			return nil, false
		}
	}
}

// str reads a string that has no escape, no control character and only
// valid UTF-8 (encoding/json would replace invalid bytes; the fast path
// leaves those to it).
func (p *fastJSON) str() (string, bool) {
	start := p.i + 1
	end := bytes.IndexByte(p.b[start:], '"')
	if end < 0 {
		return "", false
	}
	s := p.b[start : start+end]
	ascii := true
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		below := (w - 0x20*ones) & ^w & highs // a byte under 0x20 (or, falsely, one at or over 0xA0)
		x := w ^ '\\'*ones                    // a backslash is a zero byte of x
		slash := (x - ones) & ^x & highs      // a zero byte (exact for ASCII)
		if (w&highs)|below|slash == 0 {
			continue
		}
		for _, c := range s[i : i+8] {
			switch {
			case c >= 0x80:
				ascii = false
			case c < 0x20 || c == '\\':
				return "", false
			}
		}
	}
	for _, c := range s[i:] {
		switch {
		case c >= 0x80:
			ascii = false
		case c < 0x20 || c == '\\':
			return "", false
		}
	}
	if !ascii && !utf8.Valid(s) {
		return "", false
	}
	p.i = start + end + 1
	return string(s), true
}

// number reads a number in JSON's grammar as a float64, as encoding/json
// does into an any.
func (p *fastJSON) number() (any, bool) {
	b, i := p.b, p.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(b[p.i:i]), 64)
	if err != nil {
		return nil, false // out of range: encoding/json's error
	}
	p.i = i
	return f, true
}
