package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// docTable reads the status table under "### Errors" in docs/protocol.md:
// for each code, the statuses the documentation gives it. Words in
// parentheses are explanations (flags, fields, headers), not codes.
func docTable(t *testing.T) (table map[string][]int, doc string) {
	t.Helper()
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc = string(b)
	i := strings.Index(doc, "\n### Errors\n")
	if i < 0 {
		t.Fatal("docs/protocol.md has no ### Errors section")
	}
	section := doc[i+len("\n### Errors\n"):]
	if j := strings.Index(section, "\n#"); j >= 0 {
		section = section[:j]
	}
	row := regexp.MustCompile(`(?m)^\| (\d{3}) \| (.*) \|$`)
	paren := regexp.MustCompile(`\([^)]*\)`)
	code := regexp.MustCompile("`([a-z0-9_]+)`")
	table = map[string][]int{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		status, _ := strconv.Atoi(m[1])
		for _, c := range code.FindAllStringSubmatch(paren.ReplaceAllString(m[2], ""), -1) {
			if !slices.Contains(table[c[1]], status) {
				table[c[1]] = append(table[c[1]], status)
			}
		}
	}
	if len(table) == 0 {
		t.Fatal("no rows read from the ### Errors table")
	}
	return table, doc
}

// TestProtocolDocAgrees checks docs/protocol.md's error table against
// statuses and alternates, code by code and status by status.
func TestProtocolDocAgrees(t *testing.T) {
	table, doc := docTable(t)
	for c, docStatuses := range table {
		if _, ok := statuses[c]; !ok {
			t.Errorf("docs/protocol.md lists %q, which is not a code of package apierr", c)
		}
		want := Statuses(c)
		for _, s := range docStatuses {
			if !slices.Contains(want, s) {
				t.Errorf("docs/protocol.md gives %q status %d; the code answers %v", c, s, want)
			}
		}
	}
	for _, c := range Codes() {
		want := Statuses(c)
		if len(want) == 0 {
			// Never an HTTP answer: it must not be in the table, and the
			// documentation must still name it.
			if _, listed := table[c]; listed {
				t.Errorf("docs/protocol.md gives %q a status; it is never an HTTP answer", c)
			}
			if !strings.Contains(doc, "`"+c+"`") {
				t.Errorf("docs/protocol.md never names %q", c)
			}
			continue
		}
		for _, s := range want {
			if !slices.Contains(table[c], s) {
				t.Errorf("%q answers %d, which docs/protocol.md's error table does not say", c, s)
			}
		}
	}
}

// WriteHTTP finds the Error through wrapping, answers its status and
// Retry-After, and writes the body every transport shares; an error that
// is none of ours is a 500 internal.
func TestWriteHTTPFindsTheError(t *testing.T) {
	for _, tc := range []struct {
		err        error
		status     int
		retryAfter string
		body       string
	}{
		{fmt.Errorf("open session: %w", &Error{Code: CodeTooManySessions, Message: "full", RetryAfter: 10}), 503, "10",
			`{"error":{"code":"too_many_sessions","message":"full"}}`},
		{WithStatus(http.StatusUnsupportedMediaType, CodeNotJPEG, "Content-Type"), 415, "",
			`{"error":{"code":"not_jpeg","message":"Content-Type"}}`},
		{errors.New("disk on fire"), 500, "", `{"error":{"code":"internal","message":"disk on fire"}}`},
	} {
		rec := httptest.NewRecorder()
		WriteHTTP(rec, tc.err)
		if rec.Code != tc.status || rec.Header().Get("Retry-After") != tc.retryAfter ||
			strings.TrimSpace(rec.Body.String()) != tc.body || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%v: %d Retry-After %q %s; want %d %q %s", tc.err, rec.Code, rec.Header().Get("Retry-After"), rec.Body, tc.status, tc.retryAfter, tc.body)
		}
	}
}

type namedField struct{ field, message string }

func (e namedField) Error() string        { return e.field + ": " + e.message }
func (e namedField) ErrorField() string   { return e.field }
func (e namedField) ErrorMessage() string { return e.message }

// From gives an error that names its field (effects.FieldError) the code
// the caller says, with the field apart from the message.
func TestFromNamesTheField(t *testing.T) {
	e := From(fmt.Errorf("config: %w", namedField{"effects[0].color", "want #rrggbb"}), CodeBadConfig)
	if e.Code != CodeBadConfig || e.Field != "effects[0].color" || e.Message != "want #rrggbb" {
		t.Errorf("From: %+v", e)
	}
	if From(nil, CodeBadConfig) != nil {
		t.Error("From(nil) is not nil")
	}
}

// Clip quotes client text whole up to its limit, and past it cuts at a
// character boundary and marks the cut.
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 32, "short"},
		{"abcdef", 3, "abc…"},
		{"aé", 2, "a…"}, // é is two bytes: not cut in half
		{"", 3, ""},
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
