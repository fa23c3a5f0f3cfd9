package store

import "encoding/json"

// marshalParams stores parameters as a JSON object; nil becomes "{}".
func marshalParams(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// marshalList stores a list as JSON text; nil becomes "[]" so the column is never NULL.
func marshalList[T any](list []T) (string, error) {
	if len(list) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(list)
	return string(b), err
}

// unmarshalList reads a JSON list back; an empty list comes back nil, as it went in.
func unmarshalList[T any](s string) ([]T, error) {
	var list []T
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}
