package apierr

import (
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

func TestWriteHTTPStatusFromTheError(t *testing.T) {
	for _, c := range Codes() {
		if s := StatusOf(c); s < 400 || s > 599 {
			t.Errorf("%s: status %d", c, s)
		}
	}
}
