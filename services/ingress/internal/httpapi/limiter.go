package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits are token buckets per instance and per (instance, user); a zero
// rate disables that bucket.
type RateLimits struct {
	PerInstance      float64 `yaml:"per_instance"`
	PerInstanceBurst int     `yaml:"per_instance_burst"`
	PerUser          float64 `yaml:"per_user"`
	PerUserBurst     int     `yaml:"per_user_burst"`
}

// limiter keeps one bucket per key and forgets buckets idle for a while so
// that many one-off users do not grow memory without bound.
type limiter struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	bkts  map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{limit: rate.Limit(perSecond), burst: max(burst, 1), bkts: map[string]*bucket{}}
}

// allow reports whether key may proceed, and if not, how long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.bkts {
			if now.Sub(b.used) > 10*time.Minute {
				delete(l.bkts, k)
			}
		}
		l.swept = now
	}
	b := l.bkts[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.bkts[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
