package adminauth

import (
	"errors"
	"log/slog"
	"net/http"
)

// HTTP wraps an admin HTTP handler (profiling, say): a request needs an
// "Authorization: Bearer <admin token>" header whose role the policy allows
// for name. It answers 401 or 403 otherwise.
func (g *Guard) HTTP(name string, next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := g.Check(r.Header.Get("Authorization"), name)
		if err != nil {
			var refusal *Refusal
			code := http.StatusForbidden
			if errors.As(err, &refusal) && refusal.Unauthenticated {
				code = http.StatusUnauthorized
				w.Header().Set("WWW-Authenticate", `Bearer realm="parley admin"`)
			}
			log.WarnContext(r.Context(), "admin request refused", "path", r.URL.Path, "caller", caller.Name, "err", err)
			http.Error(w, err.Error(), code)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), caller)))
	})
}
