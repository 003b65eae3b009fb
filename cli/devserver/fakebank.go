package devserver

import (
	"flag"
	"io"

	"github.com/parleyhq/parley/services/dialog/fakebank"
)

// Fakebank is `parley fakebank`: it serves the small bank API that the
// banking sample bot's Service nodes call, so that the sample runs on its
// own.
func Fakebank(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("parley fakebank", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8089", "address to serve on (the default config's bank_url)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return serveUntilSignal("fakebank", *listen, fakebank.Handler(), stdout, stderr)
}
