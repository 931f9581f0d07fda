// Thin C++ shim over dlib. dlib's detector keeps scratch state in its
// scanner, so one tryon_detector must not be used from two threads at once;
// shape_predictor::operator() is const and safe to share.
#include "dlib.h"

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
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

// flat_predictor is dlib's shape_predictor with each cascade's regression
// trees laid out in three flat arrays. dlib keeps every leaf as a matrix
// of its own on the heap, 120,000 allocations for the 68-point model, of
// which a fit visits 7,500 scattered ones; here a cascade's leaves are
// one block, in the order its trees are walked, and each leaf value is a
// 16-bit multiple of a unit. The leaves are most of the model, and a fit
// reads them from memory once other work has used the cache, so the bytes
// it reads weigh on its time: 16 bits halve them (a cold fit 0.84x to
// 0.6x of float leaves' time, the busier the cache the more;
// docs/BENCHMARKS.md, "16-bit leaves"). The pixel sampling and the
// comparisons are dlib's own; the rounding of the values moves a point by
// a pixel now and then (a shape nudged by a thousandth of a pixel samples
// another pixel in a later cascade), never more than 2 in
// TestFlatPredictorMatchesDlib.
struct flat_predictor {
	struct split {
		uint16_t idx1, idx2;  // feature pixels compared
		float thresh;
	};
	struct tree {
		uint32_t first_split;  // into cascade::splits
		uint32_t first_leaf;   // leaf number; its values start at first_leaf*dims
		uint32_t num_splits;
	};
	struct cascade {
		std::vector<unsigned long> anchors;          // the part each feature pixel follows
		std::vector<dlib::vector<float, 2>> deltas;  // its offset from that part
		std::vector<tree> trees;
		std::vector<split> splits;
		std::vector<int16_t> leaves;  // dims values per leaf, value d in units of unit[d]
		std::vector<float> unit;
	};

	dlib::matrix<float, 0, 1> initial;  // the mean shape, in the box's unit square
	std::vector<cascade> cascades;
	long dims = 0;  // 2 per part

	long num_parts() const { return dims / 2; }

	// load reads a serialized dlib::shape_predictor tree by tree, in the
	// order dlib's deserialize does, keeping the first keep cascades (all
	// when 0), so dlib's scattered copy of the model never exists.
	void load(const char *path, int keep) {
		std::ifstream in(path, std::ios::binary);
		if (!in) throw dlib::serialization_error("cannot open the model");
		int version = 0;
		dlib::deserialize(version, in);
		if (version != 1) throw dlib::serialization_error("not a dlib shape_predictor (version)");
		dlib::deserialize(initial, in);
		dims = initial.size();
		if (dims <= 0 || dims % 2 != 0) throw dlib::serialization_error("the mean shape has an odd size");
		unsigned long total = 0;
		dlib::deserialize(total, in);
		size_t kept = keep <= 0 ? total : std::min<size_t>(keep, total);
		cascades.resize(kept);
		std::vector<std::vector<float>> values(kept);  // each cascade's leaves, as read
		dlib::impl::regression_tree t;
		for (unsigned long c = 0; c < total; c++) {
			unsigned long num_trees = 0;
			dlib::deserialize(num_trees, in);
			if (num_trees > 65535) throw dlib::serialization_error("a cascade has over 65535 trees");
			for (unsigned long i = 0; i < num_trees; i++) {
				dlib::deserialize(t.splits, in);  // regression_tree's own is a hidden friend
				dlib::deserialize(t.leaf_values, in);
				if (c >= kept) continue;
				if (i == 0) {  // a cascade's trees are alike: size it once
					cascades[c].trees.reserve(num_trees);
					cascades[c].splits.reserve(num_trees * t.splits.size());
					values[c].reserve(num_trees * t.leaf_values.size() * dims);
				}
				add(cascades[c], values[c], t);
			}
		}
		std::vector<std::vector<unsigned long>> anchors;
		std::vector<std::vector<dlib::vector<float, 2>>> deltas;
		dlib::deserialize(anchors, in);
		dlib::deserialize(deltas, in);
		if (anchors.size() != total || deltas.size() != total)
			throw dlib::serialization_error("the model's cascades disagree in number");
		for (size_t c = 0; c < kept; c++) {
			cascade &k = cascades[c];
			k.anchors = std::move(anchors[c]);
			k.deltas = std::move(deltas[c]);
			size_t features = k.deltas.size();
			if (k.anchors.size() != features)
				throw dlib::serialization_error("a cascade's feature pixels are malformed");
			for (unsigned long a : k.anchors)
				if (a >= static_cast<unsigned long>(num_parts()))
					throw dlib::serialization_error("a feature pixel follows a part the model does not have");
			for (const split &s : k.splits)
				if (s.idx1 >= features || s.idx2 >= features)
					throw dlib::serialization_error("a split reads a feature pixel the model does not have");
			quantize(k, values[c]);
			std::vector<float>().swap(values[c]);
		}
	}

	// prefetch asks for every cache line of one leaf.
	void prefetch(const int16_t *leaf) const {
		const uintptr_t first = reinterpret_cast<uintptr_t>(leaf) & ~uintptr_t(63);
		const uintptr_t last = reinterpret_cast<uintptr_t>(leaf + dims) - 1;
		for (uintptr_t line = first; line <= last; line += 64) __builtin_prefetch(reinterpret_cast<const void *>(line));
	}

	// add appends one of dlib's trees to k, and its leaves to values,
	// checking what its operator() assumes.
	void add(cascade &k, std::vector<float> &values, const dlib::impl::regression_tree &t) {
		size_t n = t.splits.size();
		if (t.leaf_values.size() != n + 1 || ((n + 1) & n) != 0)
			throw dlib::serialization_error("a regression tree is not full");
		k.trees.push_back(tree{static_cast<uint32_t>(k.splits.size()), static_cast<uint32_t>(values.size() / dims),
		                       static_cast<uint32_t>(n)});
		for (const auto &s : t.splits) {
			if (s.idx1 > 65535 || s.idx2 > 65535)
				throw dlib::serialization_error("a split reads a feature pixel past 65535");
			k.splits.push_back(split{static_cast<uint16_t>(s.idx1), static_cast<uint16_t>(s.idx2), s.thresh});
		}
		for (const auto &leaf : t.leaf_values) {
			if (leaf.size() != dims) throw dlib::serialization_error("a leaf is not the shape's size");
			values.insert(values.end(), &leaf(0), &leaf(0) + dims);
		}
	}

	// quantize keeps a cascade's leaf values as 16-bit multiples of a unit,
	// one for each of the shape's values: the largest magnitude that value
	// takes in the cascade's leaves, over 32767. A leaf is then 272 bytes
	// instead of 544, and a fit reads 2 MB of them instead of 4.
	void quantize(cascade &k, const std::vector<float> &values) const {
		if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
			throw dlib::serialization_error("a leaf value is not a finite number");
		std::vector<float> most(dims, 0.0f);
		for (size_t i = 0; i < values.size(); i++) most[i % dims] = std::max(most[i % dims], std::fabs(values[i]));
		k.unit.resize(dims);
		// A unit of at least FLT_MIN: a value so small that its 32767th is
		// not a normal float is as good as 0 in a shape, and must not make
		// the quotients below overflow.
		for (long d = 0; d < dims; d++) k.unit[d] = std::max(most[d] / 32767, FLT_MIN);
		k.leaves.resize(values.size());
		for (size_t i = 0; i < values.size(); i++) {
			const long q = std::lround(values[i] / k.unit[i % dims]);
			k.leaves[i] = static_cast<int16_t>(std::min(32767L, std::max(-32767L, q)));
		}
	}

	// fit is shape_predictor::operator() on the flat trees. Every tree of
	// a cascade compares the same feature pixels, so the leaves a cascade
	// reaches are all known before the first is added: each is fetched a
	// few trees ahead of its sum, rather than waited for one at a time. A
	// cascade's leaves are summed in integers (no overflow: load caps a
	// cascade at 65,535 trees) and scaled once; the sum's conversion to
	// float is exact up to 512 trees (the 68-point model has 500).
	template <typename image_type>
	void fit(const image_type &img, const dlib::rectangle &rect, std::vector<dlib::point> &parts) const {
		dlib::matrix<float, 0, 1> shape = initial;
		float *out = &shape(0);
		std::vector<float> feats;
		std::vector<const int16_t *> reached;
		std::vector<int32_t> sums(dims);
		const size_t ahead = 10;  // leaves in flight: BenchmarkPredict's cold fit is fastest about here
		for (const cascade &k : cascades) {
			dlib::impl::extract_feature_pixel_values(img, rect, shape, initial, k.anchors, k.deltas, feats);
			const float *f = feats.data();
			reached.resize(k.trees.size());
			for (size_t n = 0; n < k.trees.size(); n++) {
				const tree &t = k.trees[n];
				const split *s = &k.splits[t.first_split];
				uint32_t i = 0;
				while (i < t.num_splits) i = f[s[i].idx1] - f[s[i].idx2] > s[i].thresh ? 2 * i + 1 : 2 * i + 2;
				reached[n] = &k.leaves[(t.first_leaf + i - t.num_splits) * dims];
			}
			for (size_t n = 0; n < ahead && n < reached.size(); n++) prefetch(reached[n]);
			std::fill(sums.begin(), sums.end(), 0);
			int32_t *sum = sums.data();
			for (size_t n = 0; n < reached.size(); n++) {
				if (n + ahead < reached.size()) prefetch(reached[n + ahead]);
				const int16_t *leaf = reached[n];
				for (long d = 0; d < dims; d++) sum[d] += leaf[d];
			}
			for (long d = 0; d < dims; d++) out[d] += k.unit[d] * static_cast<float>(sum[d]);
		}
		const dlib::point_transform_affine to_img = dlib::impl::unnormalizing_tform(rect);
		parts.resize(num_parts());
		for (size_t i = 0; i < parts.size(); i++) parts[i] = to_img(dlib::impl::location(shape, i));
	}
};

struct tryon_predictor {
	flat_predictor flat;
	// dlib's own predictor instead, when set: the reference the compact
	// one is tested against.
	std::unique_ptr<dlib::shape_predictor> reference;
};

static void set_err(char *err, int errlen, const char *msg) {
	if (err == nullptr || errlen <= 0) return;
	std::strncpy(err, msg, errlen - 1);
	err[errlen - 1] = 0;
}

static gray_view view(tryon_gray img) { return gray_view{img.pix, img.rows, img.cols, img.stride}; }

// new_predictor makes a predictor and loads it with load, or returns NULL
// with load's message in err.
template <typename loader>
static tryon_predictor *new_predictor(loader load, char *err, int errlen) {
	try {
		std::unique_ptr<tryon_predictor> p(new tryon_predictor());
		load(*p);
		return p.release();
	} catch (const std::exception &e) {
		set_err(err, errlen, e.what());
		return nullptr;
	}
}

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
	return new_predictor([&](tryon_predictor &p) { p.flat.load(path, cascades); }, err, errlen);
}

tryon_predictor *tryon_predictor_load_dlib(const char *path, char *err, int errlen) {
	return new_predictor(
	    [&](tryon_predictor &p) {
		    p.reference.reset(new dlib::shape_predictor());
		    dlib::deserialize(path) >> *p.reference;
	    },
	    err, errlen);
}

void tryon_predictor_free(tryon_predictor *p) { delete p; }

int tryon_predictor_parts(const tryon_predictor *p) {
	return static_cast<int>(p->reference ? p->reference->num_parts() : p->flat.num_parts());
}

int tryon_predict(const tryon_predictor *p, tryon_gray img, const int *box, int *points, int max_parts, char *err, int errlen) {
	try {
		dlib::rectangle r(box[0], box[1], box[2] - 1, box[3] - 1);
		std::vector<dlib::point> parts;
		if (p->reference) {
			dlib::full_object_detection shape = (*p->reference)(view(img), r);
			for (unsigned long i = 0; i < shape.num_parts(); i++) parts.push_back(shape.part(i));
		} else {
			p->flat.fit(view(img), r, parts);
		}
		int n = static_cast<int>(parts.size());
		for (int i = 0; i < n && i < max_parts; i++) {
			points[2 * i + 0] = static_cast<int>(parts[i].x());
			points[2 * i + 1] = static_cast<int>(parts[i].y());
		}
		return n;
	} catch (const std::exception &e) {
		set_err(err, errlen, e.what());
		return -1;
	}
}

}  // extern "C"
