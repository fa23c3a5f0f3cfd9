package usage

func Chart(Report) ([]byte, error) { return nil, nil }
