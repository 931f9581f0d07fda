// C interface to dlib's HOG face detector and 68-point shape predictor.
// Kept in C so cgo can call it; the implementation is C++ (dlib.cpp).
#ifndef TRYON_DLIB_H
#define TRYON_DLIB_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tryon_detector tryon_detector;
typedef struct tryon_predictor tryon_predictor;

// A view of an 8-bit gray image owned by the caller; never copied.
typedef struct {
	const unsigned char *pix;
	int rows, cols, stride;
} tryon_gray;

tryon_detector *tryon_detector_new(void);
void tryon_detector_free(tryon_detector *d);

// Writes up to max boxes as x0,y0,x1,y1 (exclusive x1,y1) into boxes, in the
// coordinates of img. Returns the number of faces found (may exceed max), or
// -1 on error, with the message in err.
int tryon_detect(tryon_detector *d, tryon_gray img, int upsample, int *boxes, int max, char *err, int errlen);

// Loads a serialized shape_predictor, keeping its first cascades regression
// cascades (all when 0), into the flat form the fits use (dlib.cpp);
// NULL on error, with the message in err.
tryon_predictor *tryon_predictor_load(const char *path, int cascades, char *err, int errlen);
// Loads the model as dlib's own shape_predictor, for tests to compare with.
tryon_predictor *tryon_predictor_load_dlib(const char *path, char *err, int errlen);
void tryon_predictor_free(tryon_predictor *p);
int tryon_predictor_parts(const tryon_predictor *p);

// Fits the shape inside box (x0,y0,x1,y1) and writes parts x,y pairs into
// points. Returns the number of parts, or -1 on error.
int tryon_predict(const tryon_predictor *p, tryon_gray img, const int *box, int *points, int max_parts, char *err, int errlen);

#ifdef __cplusplus
}
#endif

#endif
