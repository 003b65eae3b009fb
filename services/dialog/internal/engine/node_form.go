package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/services/dialog/botdef"
)

func init() {
	registerNode(botdef.NodeForm, nodeType{compile: compileForm})
}

// formNode sends a digital form and waits for its submission, which it
// checks and stores in context.forms.<form>.
type formNode struct {
	form *botdef.Form
	prompts
	submitted *botdef.Template // submit_message
}

func compileForm(c *nodeCompiler) behaviour {
	nd := c.nd
	f := &formNode{form: c.def.Forms[nd.Form]}
	if nd.Form == "" {
		c.add(".form", "required")
	} else if f.form == nil {
		c.add(".form", "no form named %q under forms/", nd.Form)
	}
	f.prompts = c.prompts(false)
	if nd.SubmitMessage != "" {
		f.submitted = c.template(".submit_message", nd.SubmitMessage)
	}
	return f
}

func (f *formNode) exec(r *run, n *node) (string, bool, bool) { return r.await(n) }

func (f *formNode) ask(r *run, _ *node) {
	r.say(renderOpt(f.prompt, r, ""))
	f.send(r)
}

// answer is a typed reply instead of a submission: the form is sent again.
func (f *formNode) answer(r *run, n *node, _ string) {
	r.retry(n, func() {
		r.say(renderOpt(f.errPrompt, r, "Please fill in and submit the form."))
		f.send(r)
	})
}

func (f *formNode) send(r *run) {
	r.out.Form = &FormOut{Def: f.form.KoreDef(r.b.Def.ID), Init: f.form.KoreInitialization()}
}

// submit checks a submission and stores it in context.forms.<form>.
func (f *formNode) submit(r *run, n *node, sub *FormSubmission) {
	form := f.form
	values := map[string]any{}
	var problems []string
	if sub.FormID != "" && sub.FormID != form.ID {
		problems = append(problems, fmt.Sprintf("this is not the %s form", form.Name))
	}
	byID := map[string]*botdef.FormComponent{}
	for _, c := range form.Fields() {
		byID[c.ID] = c
	}
	for _, id := range sub.Order {
		c := byID[id]
		if c == nil {
			continue // submit buttons and unknown components
		}
		values[c.Name] = sub.Values[id]
	}
	for _, c := range form.Fields() {
		v, ok := values[c.Name]
		s := strings.TrimSpace(botdef.Stringify(v))
		if !ok || s == "" {
			if c.Required {
				problems = append(problems, label(c)+" is required")
			}
			continue
		}
		if msg := checkField(c, v, s); msg != "" {
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		r.retry(n, func() {
			r.std("form_invalid", map[string]any{"form": form.DisplayName, "errors": strings.Join(problems, "; ")})
			f.send(r)
		})
		return
	}
	forms, _ := r.c["forms"].(map[string]any)
	if forms == nil {
		forms = map[string]any{}
		r.c["forms"] = forms
	}
	forms[form.Name] = values
	display := form.DisplayName
	if display == "" {
		display = form.Name
	}
	if f.submitted != nil {
		r.say(f.submitted.Render(r.lookup))
	} else {
		r.std("form_submitted", map[string]any{"form": display})
	}
	r.walk(r.next(n))
}

func label(c *botdef.FormComponent) string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return c.Name
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func checkField(c *botdef.FormComponent, v any, s string) string {
	bad := func(def string) string {
		if c.Validation != nil && c.Validation.Message != "" {
			return c.Validation.Message
		}
		return def
	}
	var num float64
	isNum := false
	switch c.Type {
	case "number", "rangeSlider":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad(label(c) + " must be a number")
		}
		num, isNum = f, true
	case "email":
		if !emailRe.MatchString(s) {
			return bad(label(c) + " must be an e-mail address")
		}
	case "dropdown", "radio":
		ok := false
		for _, allowed := range c.Values {
			if allowed == s {
				ok = true
			}
		}
		if !ok {
			return bad(label(c) + " must be one of " + strings.Join(c.Values, ", "))
		}
	case "date":
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return bad(label(c) + " must be a date (YYYY-MM-DD)")
		}
	}
	val := c.Validation
	if val == nil {
		return ""
	}
	if val.Regex != "" {
		re, err := regexp.Compile("^(?:" + val.Regex + ")$")
		if err != nil || !re.MatchString(s) {
			return bad(label(c) + " is not valid")
		}
	}
	size := float64(len([]rune(s)))
	if isNum {
		size = num
	}
	if (val.Min != nil && size < *val.Min) || (val.Max != nil && size > *val.Max) {
		return bad(label(c) + " is out of range")
	}
	_ = v
	return ""
}
