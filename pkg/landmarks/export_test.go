package landmarks

// LoadDlibPredictor is dlib's own shape_predictor, for comparing fits.
var LoadDlibPredictor = loadDlibPredictor
