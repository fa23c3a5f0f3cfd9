package slacksandbox

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SubmitView submits, as user, the open view viewID with values[block_id][action_id].
// Values are strings: the text for text inputs, the option value for selects and radio
// buttons (comma-separated for multi-selects and checkboxes), the id for user or
// conversation selects, YYYY-MM-DD for date pickers.
func (s *Server) SubmitView(user, viewID string, values map[string]map[string]string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	switch {
	case v == nil:
		return nil, fmt.Errorf("slacksandbox: no view %s", viewID)
	case v.closed:
		return nil, fmt.Errorf("slacksandbox: view %s is closed", viewID)
	case v.user != "" && v.user != user:
		return nil, fmt.Errorf("slacksandbox: view %s is open for %s, not %s", viewID, v.user, user)
	}

	blocks, _ := decodeJSONArray(v.blocks)
	inputs := map[string]map[string]map[string]any{}
	var order []string
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok || str(m, "type") != "input" {
			continue
		}
		el := obj(m, "element")
		if el == nil {
			continue
		}
		bid := str(m, "block_id")
		inputs[bid] = map[string]map[string]any{str(el, "action_id"): el}
		order = append(order, bid)
	}
	for bid, acts := range values {
		for aid := range acts {
			if inputs[bid][aid] == nil {
				return nil, fmt.Errorf("slacksandbox: view %s has no input %s/%s", viewID, bid, aid)
			}
		}
	}
	state := map[string]any{}
	for _, bid := range order {
		perAction := map[string]any{}
		for aid, el := range inputs[bid] {
			val, provided := values[bid][aid]
			sv, err := inputState(el, val, provided)
			if err != nil {
				return nil, fmt.Errorf("slacksandbox: view %s input %s/%s: %w", viewID, bid, aid, err)
			}
			perAction[aid] = sv
		}
		state[bid] = perAction
	}

	triggerID, _, _ := s.issueLocked(user, "", nil, nil)
	view := s.viewObject(v)
	view["state"] = map[string]any{"values": state}
	payload, _ := json.Marshal(map[string]any{
		"type":                  "view_submission",
		"team":                  s.teamObject(),
		"user":                  s.userObjectLocked(user),
		"api_app_id":            s.opts.AppID,
		"token":                 s.opts.VerificationToken,
		"trigger_id":            triggerID,
		"view":                  view,
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	})
	env := &envelope{
		id:              s.envelopeIDLocked(),
		typ:             "interactive",
		payload:         payload,
		acceptsResponse: true,
		label:           fmt.Sprintf("view_submission of %s (%s) by %s", viewID, str(v.def, "callback_id"), user),
		viewID:          viewID,
	}
	s.sendEnvelopeLocked(env)
	return &Interaction{EnvelopeID: env.id, TriggerID: triggerID, Payload: payload, s: s}, nil
}

// inputState is the state.values entry Slack sends for one input element.
func inputState(el map[string]any, val string, provided bool) (map[string]any, error) {
	typ := str(el, "type")
	out := map[string]any{"type": typ}
	findOption := func(value string) (any, error) {
		for _, o := range arr(el, "options") {
			if om, ok := o.(map[string]any); ok && str(om, "value") == value {
				return om, nil
			}
		}
		return nil, fmt.Errorf("no option with value %q", value)
	}
	switch typ {
	case "static_select", "radio_buttons":
		out["selected_option"] = nil
		if provided {
			o, err := findOption(val)
			if err != nil {
				return nil, err
			}
			out["selected_option"] = o
		}
	case "multi_static_select", "checkboxes":
		opts := []any{}
		if provided && val != "" {
			for _, v := range strings.Split(val, ",") {
				o, err := findOption(v)
				if err != nil {
					return nil, err
				}
				opts = append(opts, o)
			}
		}
		out["selected_options"] = opts
	case "users_select":
		out["selected_user"] = nullable(val, provided)
	case "conversations_select":
		out["selected_conversation"] = nullable(val, provided)
	case "channels_select":
		out["selected_channel"] = nullable(val, provided)
	case "datepicker":
		out["selected_date"] = nullable(val, provided)
	case "timepicker":
		out["selected_time"] = nullable(val, provided)
	default:
		out["value"] = nullable(val, provided)
	}
	return out, nil
}

func nullable(val string, provided bool) any {
	if !provided {
		return nil
	}
	return val
}
