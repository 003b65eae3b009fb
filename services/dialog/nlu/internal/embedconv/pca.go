package main

import (
	"math"
	"sort"
)

// project returns the vectors centred and projected onto their k principal
// components (largest variance first). The covariance matrix is small
// (dim × dim), so cyclic Jacobi rotations diagonalise it exactly enough.
func project(vecs [][]float32, k int) [][]float32 {
	d := len(vecs[0])
	mean := make([]float64, d)
	for _, v := range vecs {
		for j, x := range v {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(len(vecs))
	}
	cov := make([][]float64, d)
	for i := range cov {
		cov[i] = make([]float64, d)
	}
	c := make([]float64, d)
	for _, v := range vecs {
		for j, x := range v {
			c[j] = float64(x) - mean[j]
		}
		for i := range d {
			for j := i; j < d; j++ {
				cov[i][j] += c[i] * c[j]
			}
		}
	}
	for i := range d {
		for j := i; j < d; j++ {
			cov[i][j] /= float64(len(vecs))
			cov[j][i] = cov[i][j]
		}
	}
	vals, vecsT := jacobi(cov)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	out := make([][]float32, len(vecs))
	for n, v := range vecs {
		p := make([]float32, k)
		for t := range k {
			e := order[t]
			var s float64
			for j, x := range v {
				s += (float64(x) - mean[j]) * vecsT[j][e]
			}
			p[t] = float32(s)
		}
		out[n] = p
	}
	return out
}

// jacobi diagonalises the symmetric matrix a (destroying it) and returns its
// eigenvalues and the eigenvectors as the columns of v.
func jacobi(a [][]float64) ([]float64, [][]float64) {
	n := len(a)
	v := make([][]float64, n)
	for i := range v {
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for p := range n {
			for q := p + 1; q < n; q++ {
				off += a[p][q] * a[p][q]
			}
		}
		if off < 1e-18 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				if math.Abs(a[p][q]) < 1e-30 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				cs := 1 / math.Sqrt(t*t+1)
				sn := t * cs
				for k := range n {
					akp, akq := a[k][p], a[k][q]
					a[k][p], a[k][q] = cs*akp-sn*akq, sn*akp+cs*akq
				}
				for k := range n {
					apk, aqk := a[p][k], a[q][k]
					a[p][k], a[q][k] = cs*apk-sn*aqk, sn*apk+cs*aqk
				}
				for k := range n {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = cs*vkp-sn*vkq, sn*vkp+cs*vkq
				}
			}
		}
	}
	vals := make([]float64, n)
	for i := range n {
		vals[i] = a[i][i]
	}
	return vals, v
}
