package adapter

import (
	"github.com/zishang520/socket.io/v2/socket"
)

type (
	Adapter = socket.Adapter

	SessionAwareAdapter = socket.SessionAwareAdapter
)
