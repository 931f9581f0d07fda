module github.com/zishang520/engine.io-go-parser

go 1.24.1
