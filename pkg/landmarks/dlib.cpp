// Thin C++ shim over dlib. dlib's detector keeps scratch state in its
// scanner, so one tryon_detector must not be used from two threads at once;
// shape_predictor::operator() is const and safe to share.
#include "dlib.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <exception>
#include <vector>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/image_transforms/interpolation.h>

namespace tryon {

// gray_view adapts a caller-owned buffer to dlib's generic image interface,
// so detection and prediction read the pixels in place. The accessors live
// in this namespace so that dlib's templates find them by argument-dependent
// lookup.
struct gray_view {
	const unsigned char *pix;
	long rows, cols, stride;
};

inline long num_rows(const gray_view &v) { return v.rows; }
inline long num_columns(const gray_view &v) { return v.cols; }
inline void *image_data(gray_view &v) { return const_cast<unsigned char *>(v.pix); }
inline const void *image_data(const gray_view &v) { return v.pix; }
inline long width_step(const gray_view &v) { return v.stride; }

}  // namespace tryon

namespace dlib {
template <> struct image_traits<tryon::gray_view> {
	typedef unsigned char pixel_type;
};
}  // namespace dlib

using tryon::gray_view;

struct tryon_detector {
	dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
	dlib::array2d<unsigned char> upsampled;  // reused between calls
};

struct tryon_predictor {
	dlib::shape_predictor sp;
};

static void set_err(char *err, int errlen, const char *msg) {
	if (err == nullptr || errlen <= 0) return;
	std::strncpy(err, msg, errlen - 1);
	err[errlen - 1] = 0;
}

static gray_view view(tryon_gray img) { return gray_view{img.pix, img.rows, img.cols, img.stride}; }

extern "C" {

tryon_detector *tryon_detector_new(void) {
	try {
		return new tryon_detector();
	} catch (...) {
		return nullptr;
	}
}

void tryon_detector_free(tryon_detector *d) { delete d; }

int tryon_detect(tryon_detector *d, tryon_gray img, int upsample, int *boxes, int max, char *err, int errlen) {
	try {
		gray_view v = view(img);
		std::vector<dlib::rectangle> rects;
		if (upsample <= 0) {
			rects = d->detector(v);
		} else {
			// Same as dlib's Python binding: pyramid_up doubles the size each
			// time, and boxes are mapped back to the input's coordinates.
			dlib::pyramid_down<2> pyr;
			dlib::pyramid_up(v, d->upsampled, pyr);
			for (int i = 1; i < upsample; i++) dlib::pyramid_up(d->upsampled, pyr);
			rects = d->detector(d->upsampled);
			for (auto &r : rects) r = pyr.rect_down(r, upsample);
		}
		int n = static_cast<int>(rects.size());
		for (int i = 0; i < n && i < max; i++) {
			boxes[4 * i + 0] = rects[i].left();
			boxes[4 * i + 1] = rects[i].top();
			boxes[4 * i + 2] = rects[i].right() + 1;
			boxes[4 * i + 3] = rects[i].bottom() + 1;
		}
		return n;
	} catch (const std::exception &e) {
		set_err(err, errlen, e.what());
		return -1;
	}
}

tryon_predictor *tryon_predictor_load(const char *path, int cascades, char *err, int errlen) {
	try {
		auto *p = new tryon_predictor();
		try {
			if (cascades <= 0) {
				dlib::deserialize(path) >> p->sp;
			} else {
				// shape_predictor's parts are private; read them in the
				// order its deserialize does, keep the first cascades, and
				// hand them back through a stream.
				std::ifstream in(path, std::ios::binary);
				if (!in) throw dlib::serialization_error("cannot open the model");
				int version = 0;
				dlib::matrix<float, 0, 1> initial;
				std::vector<std::vector<dlib::impl::regression_tree>> forests;
				std::vector<std::vector<unsigned long>> anchors;
				std::vector<std::vector<dlib::vector<float, 2>>> deltas;
				dlib::deserialize(version, in);
				dlib::deserialize(initial, in);
				dlib::deserialize(forests, in);
				dlib::deserialize(anchors, in);
				dlib::deserialize(deltas, in);
				size_t keep = std::min(static_cast<size_t>(cascades), forests.size());
				forests.resize(keep);
				anchors.resize(keep);
				deltas.resize(keep);
				std::stringstream ss;
				dlib::serialize(version, ss);
				dlib::serialize(initial, ss);
				dlib::serialize(forests, ss);
				dlib::serialize(anchors, ss);
				dlib::serialize(deltas, ss);
				dlib::deserialize(p->sp, ss);
			}
		} catch (...) {
			delete p;
			throw;
		}
		return p;
	} catch (const std::exception &e) {
		set_err(err, errlen, e.what());
		return nullptr;
	}
}

void tryon_predictor_free(tryon_predictor *p) { delete p; }

int tryon_predictor_parts(const tryon_predictor *p) { return static_cast<int>(p->sp.num_parts()); }

int tryon_predict(const tryon_predictor *p, tryon_gray img, const int *box, int *points, int max_parts, char *err, int errlen) {
	try {
		dlib::rectangle r(box[0], box[1], box[2] - 1, box[3] - 1);
		dlib::full_object_detection shape = p->sp(view(img), r);
		int n = static_cast<int>(shape.num_parts());
		for (int i = 0; i < n && i < max_parts; i++) {
			points[2 * i + 0] = static_cast<int>(shape.part(i).x());
			points[2 * i + 1] = static_cast<int>(shape.part(i).y());
		}
		return n;
	} catch (const std::exception &e) {
		set_err(err, errlen, e.what());
		return -1;
	}
}

}  // extern "C"
