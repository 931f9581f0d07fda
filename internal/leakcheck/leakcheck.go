// Package leakcheck says which goroutines of given packages are running
// now, without waiting: for tests that a Close has waited for what it
// started. goleak (which retries for a while) then checks that nothing
// else is left.
package leakcheck

import (
	"runtime"
	"strings"
)

// Running returns the first line naming a function of one of the
// packages (import paths, such as "github.com/livetryon/server/pkg/client")
// of each goroutine running such a function now, the caller's excepted,
// and client.Wait's helper, which returns the moment what it waited for
// has (a Close cut short by its context leaves one waiting until then).
func Running(packages ...string) []string { return running(false, packages) }

// RunningOutsideHandlers is Running without the goroutines of HTTP
// handlers: for a transport whose handlers only answer their own request
// (HTTP per frame), where a handler still returning after its answer went
// out is http.Server's to wait for (Shutdown), not the transport's. Not for
// WebSocket, whose connections live on in their handlers' goroutines.
func RunningOutsideHandlers(packages ...string) []string { return running(true, packages) }

func running(skipHandlers bool, packages []string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var found []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // this goroutine: the test's own
		}
		if skipHandlers && strings.Contains(g, "net/http.(*conn).serve(") {
			continue
		}
		for _, line := range strings.Split(g, "\n") {
			if strings.Contains(line, "pkg/client.Wait.func") {
				break
			}
			if hit := func() bool {
				for _, p := range packages {
					if strings.HasPrefix(line, p+".") || strings.HasPrefix(line, p+"/") {
						return !strings.Contains(line, "_test.") && !strings.HasPrefix(line, p+"_test")
					}
				}
				return false
			}(); hit {
				found = append(found, line)
				break
			}
		}
	}
	return found
}
