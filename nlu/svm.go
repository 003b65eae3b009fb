package nlu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// dataset is the training matrix: one sparse row per utterance. The bias is
// an implicit extra feature with value 1 at index dim.
type dataset struct {
	x      []sparse
	y      []int32
	nclass int
	dim    int
}

// linear is a trained one-vs-rest model, stored feature-major (w[j*nclass+c])
// so scoring an utterance touches one contiguous row per active feature.
type linear struct {
	nclass int
	dim    int
	w      []float32
}

// scores writes the decision value of every class for x into out, using
// acc (at least nclass long) as float32 scratch. Accumulating in float32
// halves the arithmetic width of the hot loop; the weights are float32
// already, so no precision the model has is lost.
func (m *linear) scores(x sparse, out []float64, acc []float32) {
	C := m.nclass
	acc = acc[:C]
	copy(acc, m.w[m.dim*C:(m.dim+1)*C]) // bias
	for k, j := range x.idx {
		v := x.val[k]
		row := m.w[int(j)*C : int(j)*C+C]
		a := acc
		row = row[:len(a)] // one bounds check for the row, none per class
		for len(a) >= 4 {
			a4, r4 := a[:4:4], row[:4:4]
			a4[0] += v * r4[0]
			a4[1] += v * r4[1]
			a4[2] += v * r4[2]
			a4[3] += v * r4[3]
			a, row = a[4:], row[4:]
		}
		for c := range a {
			a[c] += v * row[c]
		}
	}
	for c, a := range acc {
		out[c] = float64(a)
	}
}

// trainOvR trains one L2-regularised squared-hinge SVM per class on the rows
// listed in rows, with the dual coordinate descent method of Hsieh et al.
// (ICML 2008) as in LIBLINEAR (-s 1), including its shrinking heuristic.
// The dual is a box-constrained convex QP solved one coordinate at a time in
// closed form, so there is no step size to tune and the result does not
// depend on a learning-rate schedule.
//
// The per-class problems are independent, so they are solved in lockstep:
// each pass visits a sample once and updates all of that sample's still
// active (sample, class) pairs. That reads each sparse row once per pass
// instead of once per class, and shrinking drops the many easy negatives
// of a one-vs-rest problem after a pass or two — which is what keeps a
// 150-intent bot trainable in about a second.
//
// With Options.NegativeRatio, each class sees all its positives and a
// hashed sample of its negatives: in a bot of many intents almost every
// utterance is a negative for almost every class, and most of those pairs
// are easy ones that shrinking would drop after a pass anyway.
//
// Bots with many intents split the classes into a fixed number of groups
// (it depends on the intent count only, never on the machine, so a bot
// trains to the same model everywhere) solved on separate goroutines, each
// into its own weight block, merged at the end.
func trainOvR(ds dataset, rows []int, o Options) (*linear, []float64) {
	C, dim, n := ds.nclass, ds.dim, len(rows)
	groups := min(maxClassGroups, (C+classesPerGroup-1)/classesPerGroup)
	if groups <= 1 {
		w, alpha := trainOvRRange(ds, rows, o, 0, C)
		return &linear{nclass: C, dim: dim, w: w}, alpha
	}
	m := &linear{nclass: C, dim: dim, w: make([]float32, (dim+1)*C)}
	alpha := make([]float64, n*C)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for g := range groups {
		lo, hi := g*C/groups, (g+1)*C/groups
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			w, a := trainOvRRange(ds, rows, o, lo, hi)
			cg := hi - lo
			for j := 0; j <= dim; j++ {
				copy(m.w[j*C+lo:j*C+hi], w[j*cg:(j+1)*cg])
			}
			for s := range n {
				copy(alpha[s*C+lo:s*C+hi], a[s*cg:(s+1)*cg])
			}
		})
	}
	wg.Wait()
	return m, alpha
}

// Class groups for parallel training: at most maxClassGroups, of at least
// classesPerGroup classes each, so small bots stay one group.
const (
	maxClassGroups  = 4
	classesPerGroup = 32
)

// trainOvRRange trains the classes lo..hi-1 and returns their weights,
// feature-major over hi-lo classes, and their dual variables (sample-major).
func trainOvRRange(ds dataset, rows []int, o Options, lo, hi int) ([]float32, []float64) {
	C, dim := hi-lo, ds.dim
	n := len(rows)
	W := make([]float32, (dim+1)*C)
	alpha := make([]float64, n*C)
	sq := make([]float64, n)
	for s, i := range rows {
		var t float64
		for _, v := range ds.x[i].val {
			t += float64(v) * float64(v)
		}
		sq[s] = t + 1 // + bias
	}
	counts := make([]int, C)
	for _, i := range rows {
		if c := int(ds.y[i]) - lo; c >= 0 && c < C {
			counts[c]++
		}
	}
	diagPos, diagNeg := make([]float64, C), make([]float64, C)
	for c := range C {
		cpos := o.C
		if o.Balanced && counts[c] > 0 {
			cpos = o.C * float64(n-counts[c]) / float64(counts[c])
		}
		diagPos[c], diagNeg[c] = 0.5/cpos, 0.5/o.C
	}
	act := make([]int32, n*C) // per sample: active classes first
	actLen := make([]int, n)
	base := make([]int, n) // active classes right after a reset
	// keep[c] is the share of class c's negatives its problem sees (see
	// Options.NegativeRatio); a pair is kept by a hash of (sample, class),
	// so the choice is the same in every pass and on every machine.
	keep := make([]uint64, C)
	for c := range C {
		keep[c] = math.MaxUint64
		if o.NegativeRatio > 0 && counts[c] > 0 {
			if r := o.NegativeRatio * float64(counts[c]) / float64(n-counts[c]); r < 1 {
				keep[c] = uint64(r * float64(math.MaxUint64))
			}
		}
	}
	reset := func() {
		for s := range n {
			yc := int(ds.y[rows[s]]) - lo
			k := 0
			for c := range C {
				if c == yc || keep[c] == math.MaxUint64 || pairHash(o.Seed, rows[s], lo+c) < keep[c] {
					act[s*C+k] = int32(c)
					k++
				}
			}
			actLen[s], base[s] = k, k
		}
	}
	reset()
	pgMaxOld, pgMinOld := make([]float64, C), make([]float64, C)
	pgMax, pgMin := make([]float64, C), make([]float64, C)
	for c := range C {
		pgMaxOld[c], pgMinOld[c] = math.Inf(1), math.Inf(-1)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sc, acc := make([]float64, C), make([]float32, C)
	type delta struct {
		c int32
		d float32
	}
	var deltas []delta
	dense := make([]float32, C)
	rng := rand.New(rand.NewPCG(o.Seed, 0x5EED))
	bias := W[dim*C : (dim+1)*C]
	for iter := 0; iter < o.MaxIter; iter++ {
		for c := range C {
			pgMax[c], pgMin[c] = math.Inf(-1), math.Inf(1)
		}
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		shrunk := false
		for _, s := range order {
			a := act[s*C : s*C+actLen[s]]
			if len(a) < base[s] {
				shrunk = true
			}
			if len(a) == 0 {
				continue
			}
			x := ds.x[rows[s]]
			sc := sc[:len(a)]
			if len(a) == C { // nothing shrunk since the last reset: a is 0..C-1
				part := linear{nclass: C, dim: dim, w: W}
				part.scores(x, sc, acc)
			} else {
				for k, c := range a {
					sc[k] = float64(bias[c])
				}
				for k, j := range x.idx {
					v := float64(x.val[k])
					row := W[int(j)*C : int(j)*C+C]
					for t, c := range a {
						sc[t] += v * float64(row[c])
					}
				}
			}
			yc := ds.y[rows[s]] - int32(lo) // outside 0..C-1: negative for every class here
			deltas = deltas[:0]
			for k := 0; k < len(a); k++ {
				c := a[k]
				y, dg := -1.0, diagNeg[c]
				if c == yc {
					y, dg = 1, diagPos[c]
				}
				al := alpha[s*C+int(c)]
				g := y*sc[k] - 1 + al*dg
				pg := 0.0
				if al == 0 {
					if g > pgMaxOld[c] {
						last := len(a) - 1
						a[k], a[last] = a[last], a[k]
						sc[k], sc[last] = sc[last], sc[k]
						a = a[:last]
						k--
						continue
					} else if g < 0 {
						pg = g
					}
				} else {
					pg = g
				}
				pgMax[c] = max(pgMax[c], pg)
				pgMin[c] = min(pgMin[c], pg)
				if math.Abs(pg) > 1e-12 {
					na := max(al-g/(sq[s]+dg), 0)
					alpha[s*C+int(c)] = na
					deltas = append(deltas, delta{c: c, d: float32((na - al) * y)})
				}
			}
			if len(a) < actLen[s] {
				shrunk = true
			}
			actLen[s] = len(a)
			if len(deltas) == 0 {
				continue
			}
			if len(deltas) > C/4 { // dense update: cheaper than scattered writes
				clear(dense)
				for _, d := range deltas {
					dense[d.c] = d.d
				}
				for k, j := range x.idx {
					v := x.val[k]
					row := W[int(j)*C : int(j)*C+C]
					for c, d := range dense {
						row[c] += d * v
					}
				}
			} else {
				for k, j := range x.idx {
					v := x.val[k]
					row := W[int(j)*C : int(j)*C+C]
					for _, d := range deltas {
						row[d.c] += d.d * v
					}
				}
			}
			for _, d := range deltas {
				bias[d.c] += d.d
			}
		}
		converged := true
		for c := range C {
			if pgMax[c]-pgMin[c] > o.Epsilon {
				converged = false
				break
			}
		}
		if converged {
			if !shrunk {
				break
			}
			reset()
			for c := range C {
				pgMaxOld[c], pgMinOld[c] = math.Inf(1), math.Inf(-1)
			}
			continue
		}
		for c := range C {
			pgMaxOld[c], pgMinOld[c] = pgMax[c], pgMin[c]
			if pgMaxOld[c] <= 0 {
				pgMaxOld[c] = math.Inf(1)
			}
			if pgMinOld[c] >= 0 {
				pgMinOld[c] = math.Inf(-1)
			}
		}
	}
	return W, alpha
}

// pairHash mixes a sample and a class into 64 uniform bits (splitmix64).
func pairHash(seed uint64, sample, class int) uint64 {
	z := seed ^ uint64(sample)*0x9E3779B97F4A7C15 ^ uint64(class)*0xC2B2AE3D27D4EB4F
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// trainNB fits a multinomial naive Bayes over the (non-negative) feature
// vectors: weights log θ_cj with additive smoothing alpha, and the log
// class prior as the bias, stored like the SVM so scoring is the same loop.
func trainNB(ds dataset, alpha float64) *linear {
	C, dim := ds.nclass, ds.dim
	cnt := make([]float64, (dim+1)*C)
	tot := make([]float64, C)
	n := make([]float64, C)
	for i, x := range ds.x {
		c := int(ds.y[i])
		n[c]++
		for k, j := range x.idx {
			v := float64(x.val[k])
			cnt[int(j)*C+c] += v
			tot[c] += v
		}
	}
	m := &linear{nclass: C, dim: dim, w: make([]float32, (dim+1)*C)}
	for c := range C {
		den := math.Log(tot[c] + alpha*float64(dim))
		for j := range dim {
			m.w[j*C+c] = float32(math.Log(cnt[j*C+c]+alpha) - den)
		}
		m.w[dim*C+c] = float32(math.Log(n[c] / float64(len(ds.y))))
	}
	return m
}

// trainLR fits a multinomial logistic regression, mean cross-entropy plus
// lambda/2·‖W‖² (bias unregularised), by Nesterov-accelerated full-batch
// gradient descent with step 1/L, L = max‖x‖²/2 + lambda bounding the
// curvature. A fixed number of passes keeps it deterministic and bounded.
func trainLR(ds dataset, lambda float64, iters int) *linear {
	C, dim := ds.nclass, ds.dim
	n := len(ds.y)
	size := (dim + 1) * C
	w := make([]float64, size)
	prev := make([]float64, size)
	v := make([]float32, size) // look-ahead point, float32 for scoring
	g := make([]float64, size)
	var maxSq float64
	for _, x := range ds.x {
		var t float64
		for _, e := range x.val {
			t += float64(e) * float64(e)
		}
		maxSq = max(maxSq, t+1)
	}
	step := 1 / (maxSq/2 + lambda)
	lin := &linear{nclass: C, dim: dim, w: v}
	sc, acc := make([]float64, C), make([]float32, C)
	t := 1.0
	for it := 0; it < iters; it++ {
		tn := (1 + math.Sqrt(1+4*t*t)) / 2
		mu := (t - 1) / tn
		t = tn
		for k := range v {
			v[k] = float32(w[k] + mu*(w[k]-prev[k]))
		}
		clear(g)
		for i, x := range ds.x {
			lin.scores(x, sc, acc)
			mx := math.Inf(-1)
			for _, s := range sc {
				mx = max(mx, s)
			}
			var z float64
			for c, s := range sc {
				sc[c] = math.Exp(s - mx)
				z += sc[c]
			}
			for c := range sc {
				sc[c] /= z
			}
			sc[ds.y[i]]--
			for k, j := range x.idx {
				e := float64(x.val[k])
				row := g[int(j)*C : int(j)*C+C]
				for c, d := range sc {
					row[c] += e * d
				}
			}
			row := g[dim*C:]
			for c, d := range sc {
				row[c] += d
			}
		}
		copy(prev, w)
		for k := range w {
			vk := float64(v[k])
			gk := g[k] / float64(n)
			if k < dim*C {
				gk += lambda * vk
			}
			w[k] = vk - step*gk
		}
	}
	for k := range v {
		v[k] = float32(w[k])
	}
	return lin
}
