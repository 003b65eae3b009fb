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
	sv := newOvRSolver(ds, rows, o, lo, hi)
	n := len(rows)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5EED))
	for iter := 0; iter < o.MaxIter; iter++ {
		sv.startPass()
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		shrunk := false
		for _, s := range order {
			if sv.visit(s) {
				shrunk = true
			}
		}
		if !sv.converged() {
			sv.keepPassTolerances()
			continue
		}
		if !shrunk {
			break
		}
		// Converged on the shrunk problem: check the whole problem again.
		sv.reset()
		sv.resetTolerances()
	}
	return sv.w, sv.alpha
}

// ovrSolver is the state of trainOvRRange's dual coordinate descent over
// C classes starting at class lo: weights, dual variables, the shrinking
// sets and the projected-gradient bounds that drive shrinking and stopping.
type ovrSolver struct {
	ds    dataset
	rows  []int
	o     Options
	lo, c int

	w     []float32 // feature-major weights, bias last
	bias  []float32 // w's bias row
	alpha []float64 // sample-major dual variables
	sq    []float64 // per sample: ‖x‖² + 1 for the bias
	// diagPos and diagNeg are the dual's diagonal terms 1/(2·cost) of a
	// class's positive and negative samples.
	diagPos, diagNeg []float64
	// keep[c] is the share of class c's negatives its problem sees (see
	// Options.NegativeRatio); a pair is kept by a hash of (sample, class),
	// so the choice is the same in every pass and on every machine.
	keep   []uint64
	act    []int32 // per sample: active classes first
	actLen []int
	base   []int // active classes right after a reset

	pgMaxOld, pgMinOld []float64 // last pass's bounds: the shrinking test
	pgMax, pgMin       []float64 // this pass's bounds: the stopping test

	sc     []float64 // scratch: scores of a sample's active classes
	acc    []float32
	deltas []classDelta
	dense  []float32
}

// classDelta is the change of one class's weights along a sample.
type classDelta struct {
	c int32
	d float32
}

func newOvRSolver(ds dataset, rows []int, o Options, lo, hi int) *ovrSolver {
	C, n := hi-lo, len(rows)
	counts := classCounts(ds, rows, lo, C)
	sv := &ovrSolver{
		ds: ds, rows: rows, o: o, lo: lo, c: C,
		w:        make([]float32, (ds.dim+1)*C),
		alpha:    make([]float64, n*C),
		sq:       sampleNorms(ds, rows),
		diagPos:  make([]float64, C),
		diagNeg:  make([]float64, C),
		keep:     negativeKeep(o, counts, n),
		act:      make([]int32, n*C),
		actLen:   make([]int, n),
		base:     make([]int, n),
		pgMaxOld: make([]float64, C),
		pgMinOld: make([]float64, C),
		pgMax:    make([]float64, C),
		pgMin:    make([]float64, C),
		sc:       make([]float64, C),
		acc:      make([]float32, C),
		dense:    make([]float32, C),
	}
	sv.bias = sv.w[ds.dim*C : (ds.dim+1)*C]
	for c := range C {
		cpos := o.C
		if o.Balanced && counts[c] > 0 {
			cpos = o.C * float64(n-counts[c]) / float64(counts[c])
		}
		sv.diagPos[c], sv.diagNeg[c] = 0.5/cpos, 0.5/o.C
	}
	sv.reset()
	sv.resetTolerances()
	return sv
}

// sampleNorms is ‖x‖² + 1 (the bias) of every listed row.
func sampleNorms(ds dataset, rows []int) []float64 {
	sq := make([]float64, len(rows))
	for s, i := range rows {
		var t float64
		for _, v := range ds.x[i].val {
			t += float64(v) * float64(v)
		}
		sq[s] = t + 1
	}
	return sq
}

// classCounts counts the listed rows of each class lo..lo+C-1.
func classCounts(ds dataset, rows []int, lo, C int) []int {
	counts := make([]int, C)
	for _, i := range rows {
		if c := int(ds.y[i]) - lo; c >= 0 && c < C {
			counts[c]++
		}
	}
	return counts
}

// negativeKeep is, per class, the hash threshold below which a negative
// pair is kept (math.MaxUint64: all of them).
func negativeKeep(o Options, counts []int, n int) []uint64 {
	keep := make([]uint64, len(counts))
	for c, cnt := range counts {
		keep[c] = math.MaxUint64
		if o.NegativeRatio > 0 && cnt > 0 {
			if r := o.NegativeRatio * float64(cnt) / float64(n-cnt); r < 1 {
				keep[c] = uint64(r * float64(math.MaxUint64))
			}
		}
	}
	return keep
}

// reset makes every kept pair active again.
func (sv *ovrSolver) reset() {
	C := sv.c
	for s, row := range sv.rows {
		yc := int(sv.ds.y[row]) - sv.lo
		k := 0
		for c := range C {
			if c == yc || sv.keep[c] == math.MaxUint64 || pairHash(sv.o.Seed, row, sv.lo+c) < sv.keep[c] {
				sv.act[s*C+k] = int32(c)
				k++
			}
		}
		sv.actLen[s], sv.base[s] = k, k
	}
}

// resetTolerances turns shrinking off until a pass has measured the
// projected gradients again.
func (sv *ovrSolver) resetTolerances() {
	for c := range sv.c {
		sv.pgMaxOld[c], sv.pgMinOld[c] = math.Inf(1), math.Inf(-1)
	}
}

func (sv *ovrSolver) startPass() {
	for c := range sv.c {
		sv.pgMax[c], sv.pgMin[c] = math.Inf(-1), math.Inf(1)
	}
}

// converged reports whether every class's projected gradients of this pass
// lie within Epsilon of each other.
func (sv *ovrSolver) converged() bool {
	for c := range sv.c {
		if sv.pgMax[c]-sv.pgMin[c] > sv.o.Epsilon {
			return false
		}
	}
	return true
}

// keepPassTolerances makes this pass's bounds the next pass's shrinking test.
func (sv *ovrSolver) keepPassTolerances() {
	for c := range sv.c {
		sv.pgMaxOld[c], sv.pgMinOld[c] = sv.pgMax[c], sv.pgMin[c]
		if sv.pgMaxOld[c] <= 0 {
			sv.pgMaxOld[c] = math.Inf(1)
		}
		if sv.pgMinOld[c] >= 0 {
			sv.pgMinOld[c] = math.Inf(-1)
		}
	}
}

// visit updates sample s's active pairs and reports whether s has pairs
// shrunk out of the problem.
func (sv *ovrSolver) visit(s int) bool {
	C := sv.c
	a := sv.act[s*C : s*C+sv.actLen[s]]
	shrunk := len(a) < sv.base[s]
	if len(a) == 0 {
		return shrunk
	}
	x := sv.ds.x[sv.rows[s]]
	a = sv.step(s, a, sv.scoreActive(x, a))
	if len(a) < sv.actLen[s] {
		shrunk = true
	}
	sv.actLen[s] = len(a)
	if len(sv.deltas) > 0 {
		sv.apply(x)
	}
	return shrunk
}

// scoreActive is the decision value of x for each class in a.
func (sv *ovrSolver) scoreActive(x sparse, a []int32) []float64 {
	C := sv.c
	sc := sv.sc[:len(a)]
	if len(a) == C { // nothing shrunk since the last reset: a is 0..C-1
		part := linear{nclass: C, dim: sv.ds.dim, w: sv.w}
		part.scores(x, sc, sv.acc)
		return sc
	}
	for k, c := range a {
		sc[k] = float64(sv.bias[c])
	}
	for k, j := range x.idx {
		v := float64(x.val[k])
		row := sv.w[int(j)*C : int(j)*C+C]
		for t, c := range a {
			sc[t] += v * float64(row[c])
		}
	}
	return sc
}

// step takes the closed-form coordinate step of each of sample s's active
// pairs, collecting the weight changes in sv.deltas, and returns the pairs
// still active: a pair at its bound whose gradient points out of the box
// by more than last pass's bound is shrunk (moved past the end).
func (sv *ovrSolver) step(s int, a []int32, sc []float64) []int32 {
	C := sv.c
	yc := sv.ds.y[sv.rows[s]] - int32(sv.lo) // outside 0..C-1: negative for every class here
	sv.deltas = sv.deltas[:0]
	for k := 0; k < len(a); k++ {
		c := a[k]
		y, dg := -1.0, sv.diagNeg[c]
		if c == yc {
			y, dg = 1, sv.diagPos[c]
		}
		al := sv.alpha[s*C+int(c)]
		g := y*sc[k] - 1 + al*dg
		pg := 0.0
		switch {
		case al != 0:
			pg = g
		case g > sv.pgMaxOld[c]:
			last := len(a) - 1
			a[k], a[last] = a[last], a[k]
			sc[k], sc[last] = sc[last], sc[k]
			a = a[:last]
			k--
			continue
		case g < 0:
			pg = g
		}
		sv.pgMax[c] = max(sv.pgMax[c], pg)
		sv.pgMin[c] = min(sv.pgMin[c], pg)
		if math.Abs(pg) > 1e-12 {
			na := max(al-g/(sv.sq[s]+dg), 0)
			sv.alpha[s*C+int(c)] = na
			sv.deltas = append(sv.deltas, classDelta{c: c, d: float32((na - al) * y)})
		}
	}
	return a
}

// apply adds sv.deltas along x to the weights and the bias.
func (sv *ovrSolver) apply(x sparse) {
	C := sv.c
	if len(sv.deltas) > C/4 { // dense update: cheaper than scattered writes
		clear(sv.dense)
		for _, d := range sv.deltas {
			sv.dense[d.c] = d.d
		}
		for k, j := range x.idx {
			v := x.val[k]
			row := sv.w[int(j)*C : int(j)*C+C]
			for c, d := range sv.dense {
				row[c] += d * v
			}
		}
	} else {
		for k, j := range x.idx {
			v := x.val[k]
			row := sv.w[int(j)*C : int(j)*C+C]
			for _, d := range sv.deltas {
				row[d.c] += d.d * v
			}
		}
	}
	for _, d := range sv.deltas {
		sv.bias[d.c] += d.d
	}
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
	step := 1 / (maxSquaredNorm(ds)/2 + lambda)
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
			addCrossEntropyGradient(g, x, sc, int(ds.y[i]), dim)
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

// maxSquaredNorm is the largest ‖x‖² + 1 (the bias) of the rows.
func maxSquaredNorm(ds dataset) float64 {
	var maxSq float64
	for _, x := range ds.x {
		var t float64
		for _, e := range x.val {
			t += float64(e) * float64(e)
		}
		maxSq = max(maxSq, t+1)
	}
	return maxSq
}

// addCrossEntropyGradient adds to g (feature-major, bias row last) the
// gradient of the cross-entropy of one sample x of class y, given its
// scores sc, which it overwrites with softmax(sc) - onehot(y).
func addCrossEntropyGradient(g []float64, x sparse, sc []float64, y, dim int) {
	C := len(sc)
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
	sc[y]--
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
