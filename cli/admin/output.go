package admin

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	channelsv1 "github.com/parleyhq/parley/proto/gen/go/parley/channels/v1"
)

// printJSON prints m for scripts (--json).
func (c *client) printJSON(m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: false}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, string(b))
	return err
}

// table prints tab-separated rows under header, aligned.
func (c *client) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// printWithSecret prints a created or rotated object and its secret, the
// only time the secret is shown.
func (c *client) printWithSecret(full proto.Message, obj proto.Message, what, secret string) error {
	if c.opts.json {
		return c.printJSON(full)
	}
	switch o := obj.(type) {
	case *channelsv1.App:
		if err := c.table(appHeader, [][]string{appRow(o)}); err != nil {
			return err
		}
	case *channelsv1.WebhookInstance:
		if err := c.table(instanceHeader, [][]string{instanceRow(o)}); err != nil {
			return err
		}
	}
	if secret != "" {
		fmt.Fprintf(c.stdout, "\n%s: %s\nStore it now: it is not shown again.\n", what, secret)
	}
	return nil
}
