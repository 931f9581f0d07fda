// Package assets embeds the web page, its scripts, the pinned socket.io
// browser clients and the glasses catalogue into the server binary, so it
// serves them offline.
package assets

//go:generate go run ./glasses/gen -out glasses

import (
	"embed"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// The glasses are drawn by glasses/gen; its source is not embedded.
//
//go:embed glasses/*/front.png glasses/*/glasses.json
var glasses embed.FS

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

// Glasses holds the built-in glasses catalogue: one folder per frame, each
// with front.png and glasses.json.
func Glasses() fs.FS {
	sub, err := fs.Sub(glasses, "glasses")
	if err != nil {
		panic(err)
	}
	return sub
}
