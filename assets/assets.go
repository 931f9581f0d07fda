// Package assets embeds the web page, its scripts and the pinned socket.io
// browser clients into the server binary, so it serves them offline.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// Static is the tree served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

// Templates holds the HTML pages.
func Templates() fs.FS {
	sub, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}
