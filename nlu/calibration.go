package nlu

import (
	"math"
	"math/rand/v2"
)

// platt fits P(positive | score) = 1 / (1 + exp(A*score + B)) by Newton's
// method with backtracking (Lin, Lin and Weng 2007, the version LIBSVM uses),
// with Platt's smoothed targets so a separable fold cannot push A to
// infinity.
func platt(dec []float64, pos []bool, wt []float64) (a, b float64) {
	var np, nn float64
	for i, p := range pos {
		if p {
			np += wt[i]
		} else {
			nn += wt[i]
		}
	}
	hi, lo := (np+1)/(np+2), 1/(nn+2)
	t := make([]float64, len(dec))
	for i, p := range pos {
		t[i] = lo
		if p {
			t[i] = hi
		}
	}
	obj := func(a, b float64) float64 {
		var f float64
		for i, d := range dec {
			z := d*a + b
			if z >= 0 {
				f += wt[i] * (t[i]*z + math.Log1p(math.Exp(-z)))
			} else {
				f += wt[i] * ((t[i]-1)*z + math.Log1p(math.Exp(z)))
			}
		}
		return f
	}
	a, b = 0, math.Log((nn+1)/(np+1))
	fval := obj(a, b)
	const sigma = 1e-12
	for it := 0; it < 100; it++ {
		h11, h22, h21, g1, g2 := sigma, sigma, 0.0, 0.0, 0.0
		for i, d := range dec {
			z := d*a + b
			var p, q float64
			if z >= 0 {
				e := math.Exp(-z)
				p, q = e/(1+e), 1/(1+e)
			} else {
				e := math.Exp(z)
				p, q = 1/(1+e), e/(1+e)
			}
			d2 := wt[i] * p * q
			h11 += d * d * d2
			h22 += d2
			h21 += d * d2
			d1 := wt[i] * (t[i] - p)
			g1 += d * d1
			g2 += d1
		}
		if math.Abs(g1) < 1e-5 && math.Abs(g2) < 1e-5 {
			break
		}
		det := h11*h22 - h21*h21
		da := -(h22*g1 - h21*g2) / det
		db := -(-h21*g1 + h11*g2) / det
		gd := g1*da + g2*db
		step := 1.0
		for step >= 1e-10 {
			na, nb := a+step*da, b+step*db
			if nf := obj(na, nb); nf < fval+1e-4*step*gd {
				a, b, fval = na, nb, nf
				break
			}
			step /= 2
		}
		if step < 1e-10 {
			break
		}
	}
	return a, b
}

// calibrate fits the shared sigmoid on approximate leave-one-out decision
// values, so confidences reflect how the model scores utterances it has not
// seen — training-set scores are overconfident and would defeat the
// thresholds. Removing training pair (i, c) from the dual solution without
// re-optimising changes its own score by alpha·y·(‖x‖²+1) (the
// Jaakkola–Haussler leave-one-out estimate), which costs one scoring pass
// instead of k extra trainings. Negative pairs are subsampled with
// compensating weights to bound the fit's cost on large bots.
func calibrate(ds dataset, m *linear, alpha []float64, o Options) (a, b float64) {
	n, C := len(ds.y), ds.nclass
	const maxPairs = 50000
	rate := 1.0
	if n*C > maxPairs {
		rate = float64(maxPairs) / float64(n*C)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xCA11B))
	var dec, wt []float64
	var pos []bool
	out, acc := make([]float64, C), make([]float32, C)
	for i := 0; i < n; i++ {
		m.scores(ds.x[i], out, acc)
		var sq float64
		for _, v := range ds.x[i].val {
			sq += float64(v) * float64(v)
		}
		sq++
		for c, s := range out {
			p := int(ds.y[i]) == c
			w := 1.0
			if !p && rate < 1 {
				if rng.Float64() >= rate {
					continue
				}
				w = 1 / rate
			}
			y := -1.0
			if p {
				y = 1
			}
			dec = append(dec, s-alpha[i*C+c]*y*sq)
			pos = append(pos, p)
			wt = append(wt, w)
		}
	}
	return platt(dec, pos, wt)
}

// calibrateHeldOut fits the Platt sigmoid on truly held-out margins: the
// utterances are split into o.CalibrationFolds stratified folds, and each
// fold is scored by SVMs trained on the others. It costs that many extra
// trainings on a fraction of the data, so it is used for bots small enough
// that this is cheap; there the leave-one-out approximation of calibrate is
// at its worst, because most utterances are support vectors with large
// dual variables and the approximation pushes their margins far down.
func calibrateHeldOut(ds dataset, o Options) (a, b float64) {
	n, C, k := len(ds.y), ds.nclass, o.CalibrationFolds
	fold := make([]int, n)
	next := make([]int, C) // round-robin per class, in utterance order: deterministic
	for i, y := range ds.y {
		fold[i] = next[y] % k
		next[y]++
	}
	var dec, wt []float64
	var pos []bool
	out, acc := make([]float64, C), make([]float32, C)
	for f := range k {
		var rows []int
		for i := range n {
			if fold[i] != f {
				rows = append(rows, i)
			}
		}
		if len(rows) == n || len(rows) == 0 {
			continue
		}
		m, _ := trainOvR(ds, rows, o)
		for i := range n {
			if fold[i] != f {
				continue
			}
			m.scores(ds.x[i], out, acc)
			for c, s := range out {
				dec = append(dec, s)
				pos = append(pos, int(ds.y[i]) == c)
				wt = append(wt, 1)
			}
		}
	}
	return platt(dec, pos, wt)
}
