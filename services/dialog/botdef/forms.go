package botdef

// Form is a digital form, forms/<name>.yaml.
type Form struct {
	// ID is the form's Kore id, frm-<uuid>; form submissions name it.
	ID          string          `yaml:"id" json:"id"`
	Name        string          `yaml:"name" json:"name"`
	DisplayName string          `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Description string          `yaml:"description,omitempty" json:"description,omitempty"`
	Components  []FormComponent `yaml:"components" json:"components"`
	File        string          `yaml:"-" json:"-"`
}

// FormComponent is one field, button or section of a form.
type FormComponent struct {
	// ID is the component's Kore id, fct-<id>; submissions name it.
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type" json:"type"`
	DisplayName string `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Placeholder string `yaml:"placeholder,omitempty" json:"placeholder,omitempty"`
	Required    bool   `yaml:"required,omitempty" json:"required,omitempty"`
	// Values offered by dropdown, radio and checkbox components.
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
	// Default pre-fills the field (formInitialization.valueMap).
	Default any `yaml:"default,omitempty" json:"default,omitempty"`
	// Validation of the submitted value, checked by the dialog engine.
	Validation *FormValidation `yaml:"validation,omitempty" json:"validation,omitempty"`
	// Action of a button: submit (default), reset or url.
	Action string `yaml:"action,omitempty" json:"action,omitempty"`
	// Style of a button: primary (default), secondary, tertiary, ghost, danger.
	Style string `yaml:"style,omitempty" json:"style,omitempty"`
	// Components of a section.
	Components []FormComponent `yaml:"components,omitempty" json:"components,omitempty"`
}

// FormValidation constrains a field's value.
type FormValidation struct {
	// Regex the whole value must match.
	Regex string `yaml:"regex,omitempty" json:"regex,omitempty"`
	// Min and Max bound a number field, or a text field's length.
	Min     *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max     *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	Message string   `yaml:"message,omitempty" json:"message,omitempty"`
}

// FormComponentTypes are the Kore component types.
var FormComponentTypes = []string{
	"textField", "textArea", "number", "radio", "checkbox", "dropdown", "date", "phoneNumber", "email",
	"address", "url", "toggle", "rangeSlider", "password", "label", "note", "section", "button",
}

// Fields returns every input component, sections flattened.
func (f *Form) Fields() []*FormComponent {
	var out []*FormComponent
	var walk func([]FormComponent)
	walk = func(cs []FormComponent) {
		for i := range cs {
			c := &cs[i]
			switch c.Type {
			case "section":
				walk(c.Components)
			case "label", "note", "button":
			default:
				out = append(out, c)
			}
		}
	}
	walk(f.Components)
	return out
}

// IsSubmitButton reports whether id names a submit button of the form.
func (f *Form) IsSubmitButton(id string) bool {
	var found bool
	var walk func([]FormComponent)
	walk = func(cs []FormComponent) {
		for i := range cs {
			c := &cs[i]
			if c.Type == "section" {
				walk(c.Components)
			}
			if c.Type == "button" && c.ID == id && (c.Action == "" || c.Action == "submit") {
				found = true
			}
		}
	}
	walk(f.Components)
	return found
}

// KoreDef renders the form as Kore's formDef (contract §6), for the bot
// streamID.
func (f *Form) KoreDef(streamID string) map[string]any {
	display := f.DisplayName
	if display == "" {
		display = f.Name
	}
	return map[string]any{
		"_id": f.ID, "refId": f.ID, "streamId": streamID,
		"name": f.Name, "displayName": display, "description": f.Description,
		"type":       "regular",
		"branding":   map[string]any{"properties": []any{}},
		"components": koreComponents(f.Components),
	}
}

func koreComponents(cs []FormComponent) []any {
	out := make([]any, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		display := c.DisplayName
		if display == "" {
			display = c.Name
		}
		validation := "none"
		if c.Validation != nil {
			validation = "custom"
		}
		meta := map[string]any{
			"type": c.Type, "key": c.Name, "name": c.Name, "displayName": display,
			"placeholder": c.Placeholder, "toolTip": "", "isVisible": true, "required": c.Required,
			"validations": map[string]any{"validationType": validation}, "validateOn": "onBlur",
		}
		if len(c.Values) > 0 {
			vals := make([]any, len(c.Values))
			for j, v := range c.Values {
				vals[j] = map[string]any{"value": v, "selected": false}
			}
			meta["values"] = vals
		}
		comp := map[string]any{"_id": c.ID, "refId": c.ID, "name": c.Name, "type": c.Type, "metaData": meta}
		if c.Type == "button" {
			action, style := c.Action, c.Style
			if action == "" {
				action = "submit"
			}
			if style == "" {
				style = "primary"
			}
			comp["buttonAction"], comp["buttonStyle"] = action, style
			meta["buttonAction"], meta["buttonStyle"] = action, style
		}
		if c.Type == "section" {
			comp["components"] = koreComponents(c.Components)
		}
		out = append(out, comp)
	}
	return out
}

// KoreInitialization is the formInitialization of the form: the defaults.
func (f *Form) KoreInitialization() map[string]any {
	vm := map[string]any{}
	for _, c := range f.Fields() {
		if c.Default != nil {
			vm[c.Name] = c.Default
		}
	}
	return map[string]any{"valueMap": vm}
}
