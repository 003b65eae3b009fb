package nlucli

import (
	"math"
	"sort"
)

// IntentScore is one intent's precision, recall, F1 and support.
type IntentScore struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Confusion is a gold/predicted pair and how often it occurred.
type Confusion struct {
	Gold      string `json:"gold"`
	Predicted string `json:"predicted"`
	Count     int    `json:"count"`
}

// scoreLabels computes per-label scores and macro-F1 over every label that
// occurs as gold or prediction (scikit-learn's convention), so predicting an
// intent absent from the test set costs macro-F1.
func scoreLabels(gold, pred []string) (map[string]IntentScore, float64, []Confusion) {
	tp, fp, fn, sup := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	conf := map[[2]string]int{}
	labels := map[string]struct{}{}
	for i := range gold {
		g, p := gold[i], pred[i]
		labels[g], labels[p] = struct{}{}, struct{}{}
		sup[g]++
		if g == p {
			tp[g]++
			continue
		}
		fp[p]++
		fn[g]++
		conf[[2]string{g, p}]++
	}
	out := map[string]IntentScore{}
	var macro float64
	for l := range labels {
		s := IntentScore{Support: sup[l]}
		s.Precision = ratio(tp[l], tp[l]+fp[l])
		s.Recall = ratio(tp[l], tp[l]+fn[l])
		s.F1 = f1(s.Precision, s.Recall)
		out[l] = s
		macro += s.F1
	}
	if len(labels) > 0 {
		macro /= float64(len(labels))
	}
	var cs []Confusion
	for k, n := range conf {
		cs = append(cs, Confusion{Gold: k[0], Predicted: k[1], Count: n})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Count != cs[j].Count {
			return cs[i].Count > cs[j].Count
		}
		if cs[i].Gold != cs[j].Gold {
			return cs[i].Gold < cs[j].Gold
		}
		return cs[i].Predicted < cs[j].Predicted
	})
	return out, macro, cs
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Calibration says how far the top intent's confidence is from how often
// that intent is right.
type Calibration struct {
	// MeanConfidence is the mean confidence of the top-ranked intent.
	MeanConfidence float64 `json:"mean_confidence"`
	// ExpectedError is the expected calibration error over ten equal-width
	// confidence bins: the support-weighted mean of |accuracy − mean
	// confidence| per bin (0 is perfectly calibrated).
	ExpectedError float64 `json:"expected_error"`
	// Brier is the mean squared difference between the confidence and the
	// 0/1 correctness of the top intent.
	Brier float64 `json:"brier"`
}

const calibrationBins = 10

// scoreCalibration measures the top confidences conf against whether each
// top intent was right.
func scoreCalibration(conf []float64, right []bool) Calibration {
	var c Calibration
	if len(conf) == 0 {
		return c
	}
	var n, hits [calibrationBins]int
	var sum [calibrationBins]float64
	for i, p := range conf {
		b := min(int(p*calibrationBins), calibrationBins-1)
		b = max(b, 0)
		n[b]++
		sum[b] += p
		y := 0.0
		if right[i] {
			hits[b]++
			y = 1
		}
		c.MeanConfidence += p
		c.Brier += (p - y) * (p - y)
	}
	total := float64(len(conf))
	c.MeanConfidence /= total
	c.Brier /= total
	for b := range n {
		if n[b] > 0 {
			acc, mean := float64(hits[b])/float64(n[b]), sum[b]/float64(n[b])
			c.ExpectedError += float64(n[b]) / total * math.Abs(acc-mean)
		}
	}
	return c
}
