package slacksandbox

import (
	"encoding/json"
	"net/http"
)

// decodeView reads the view parameter; problems are returned for a view that is not
// a JSON object so the caller can answer like for any other invalid view.
func decodeView(p params) (map[string]any, string) {
	raw, ok := p.jsonValue("view")
	if !ok {
		return nil, "view parameter is missing"
	}
	var v map[string]any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, "view is not a JSON object: " + err.Error()
	}
	return v, ""
}

// storeViewDefLocked fills block ids into def and returns the normalized blocks.
func (s *Server) storeViewDefLocked(v *storedView, def map[string]any) {
	blocks, _ := def["blocks"].([]any)
	s.fillIDsLocked(blocks)
	raw, _ := json.Marshal(blocks)
	v.def = def
	v.blocks = raw
	v.hash = s.nextTSLocked() + "." + s.hexLocked(4)
}

func (s *Server) viewsOpen(_ *http.Request, p params) apiResult {
	def, bad := decodeView(p)
	if bad != "" {
		return apiError("invalid_arguments", bad)
	}
	triggerID := p.get("trigger_id")
	if problems := checkView(def); len(problems) > 0 {
		s.violate("views.open", problems)
		return apiError(errInvalidBlocks, problems...)
	}

	s.mu.Lock()
	trig := s.triggers[triggerID]
	switch {
	case trig == nil:
		s.mu.Unlock()
		return apiError("invalid_trigger_id")
	case trig.used:
		s.mu.Unlock()
		return apiError("exchanged_trigger_id")
	case s.opts.Now().Sub(trig.issued) > triggerTTL:
		s.mu.Unlock()
		return apiError("expired_trigger_id")
	}
	trig.used = true
	v := &storedView{id: s.newIDLocked("V"), user: trig.user, openedAt: s.opts.Now()}
	v.rootID = v.id
	s.storeViewDefLocked(v, def)
	s.views[v.id] = v
	s.viewOrder = append(s.viewOrder, v)
	snap := s.snapshotView(v)
	obj := s.viewObject(v)
	s.notifyLocked()
	s.mu.Unlock()

	s.emit(Write{Method: "views.open", User: v.user, Content: snap.Content})
	return apiResult{"ok": true, "view": obj}
}

func (s *Server) viewsUpdate(_ *http.Request, p params) apiResult {
	def, bad := decodeView(p)
	if bad != "" {
		return apiError("invalid_arguments", bad)
	}
	viewID, externalID, hash := p.get("view_id"), p.get("external_id"), p.get("hash")

	s.mu.Lock()
	var v *storedView
	if viewID != "" {
		v = s.views[viewID]
	} else if externalID != "" {
		for _, cand := range s.viewOrder {
			if str(cand.def, "external_id") == externalID {
				v = cand
			}
		}
	}
	switch {
	case v == nil || v.closed:
		s.mu.Unlock()
		return apiError("not_found")
	case hash != "" && hash != v.hash:
		s.mu.Unlock()
		return apiError("hash_conflict")
	}
	s.mu.Unlock()

	if problems := checkView(def); len(problems) > 0 {
		s.violate("views.update "+v.id, problems)
		return apiError(errInvalidBlocks, problems...)
	}

	s.mu.Lock()
	s.storeViewDefLocked(v, def)
	v.updates++
	snap := s.snapshotView(v)
	obj := s.viewObject(v)
	s.notifyLocked()
	s.mu.Unlock()

	s.emit(Write{Method: "views.update", User: v.user, Content: snap.Content})
	return apiResult{"ok": true, "view": obj}
}
