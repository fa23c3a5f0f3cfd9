package slacksandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"unicode/utf8"
)

// decodeJSON keeps numbers as json.Number so re-encoding stored blocks is lossless.
func decodeJSON(raw []byte, into any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(into); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

func decodeJSONArray(raw []byte) ([]any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var v []any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func arr(m map[string]any, key string) []any {
	a, _ := m[key].([]any)
	return a
}

// textOf reads the text of a text object field such as "title" or "text".
func textOf(m map[string]any, key string) string {
	if o := obj(m, key); o != nil {
		return str(o, "text")
	}
	return str(m, key)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// fillIDsLocked gives blocks and interactive elements the ids Slack generates when the
// sender omits them, so later payloads always carry block_id and action_id.
func (s *Server) fillIDsLocked(blocks []any) {
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := m["block_id"]; !ok {
			m["block_id"] = s.autoIDLocked()
		}
		var els []map[string]any
		if acc := obj(m, "accessory"); acc != nil {
			els = append(els, acc)
		}
		if el := obj(m, "element"); el != nil {
			els = append(els, el)
		}
		if str(m, "type") == "actions" {
			for _, e := range arr(m, "elements") {
				if el, ok := e.(map[string]any); ok {
					els = append(els, el)
				}
			}
		}
		for _, el := range els {
			if _, ok := el["action_id"]; !ok && str(el, "type") != "image" {
				el["action_id"] = s.autoIDLocked()
			}
		}
	}
}

func (s *Server) autoIDLocked() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// normalizeBlocksLocked decodes validated blocks, fills in ids and re-encodes them.
func (s *Server) normalizeBlocksLocked(raw json.RawMessage) json.RawMessage {
	blocks, err := decodeJSONArray(raw)
	if err != nil || blocks == nil {
		return raw
	}
	s.fillIDsLocked(blocks)
	out, err := json.Marshal(blocks)
	if err != nil {
		return raw
	}
	return out
}

func findButtons(blocks []any) []Button {
	var out []Button
	add := func(blockID string, el map[string]any) {
		if str(el, "type") != "button" {
			return
		}
		out = append(out, Button{
			ActionID: str(el, "action_id"),
			BlockID:  blockID,
			Value:    str(el, "value"),
			Text:     textOf(el, "text"),
			Style:    str(el, "style"),
			URL:      str(el, "url"),
		})
	}
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok {
			continue
		}
		id := str(m, "block_id")
		if acc := obj(m, "accessory"); acc != nil {
			add(id, acc)
		}
		if str(m, "type") == "actions" {
			for _, e := range arr(m, "elements") {
				if el, ok := e.(map[string]any); ok {
					add(id, el)
				}
			}
		}
	}
	return out
}

// findButtonObject returns the raw button element, for the payload's actions[].
func findButtonObject(blocks []any, blockID, actionID string) map[string]any {
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok || (blockID != "" && str(m, "block_id") != blockID) {
			continue
		}
		cands := []any{m["accessory"]}
		if str(m, "type") == "actions" {
			cands = append(cands, arr(m, "elements")...)
		}
		for _, c := range cands {
			if el, ok := c.(map[string]any); ok && str(el, "type") == "button" && str(el, "action_id") == actionID {
				return el
			}
		}
	}
	return nil
}

// collectText gathers every "text" string, a node's own text before its children.
func collectText(v any, parts *[]string) {
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t["text"].(string); ok && s != "" {
			*parts = append(*parts, s)
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, isString := t[k].(string); !isString {
				collectText(t[k], parts)
			}
		}
	case []any:
		for _, e := range t {
			collectText(e, parts)
		}
	}
}
