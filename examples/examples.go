// Package examples embeds the example pages so the server can serve them
// as they are, under /examples/.
package examples

import "embed"

// Files holds the index and every example page, by folder:
// classic-tutorial/index.html, ...
//
//go:embed index.html classic-tutorial/index.html landmarks-canvas/index.html websocket/index.html http-frames/index.html watch/index.html webrtc/index.html video-upload/index.html
var Files embed.FS
