package gocv

// This copy links only the two OpenCV modules the server uses: core and
// imgproc. See README.md for why.

/*
#cgo CPPFLAGS: -I/usr/include/opencv4
#cgo CXXFLAGS: --std=c++11
#cgo LDFLAGS: -lopencv_imgproc -lopencv_core
*/
import "C"
