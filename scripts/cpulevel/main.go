// Command cpulevel prints "ok". Built with GOAMD64=v3, it runs only on a
// CPU with every x86-64-v3 feature: Go's runtime checks them at start and
// exits otherwise. scripts/goamd64.sh uses it to choose the build's level.
package main

import "fmt"

func main() { fmt.Println("ok") }
