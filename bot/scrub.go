package bot

import (
	"errors"
	"fmt"
	"net/url"
)

// scrubURL drops the URL from a *url.Error. A response_url is a bearer capability (anyone
// holding it can post into the channel for 30 minutes), so it must not reach the logs.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request failed: %w", ue.Op, ue.Err)
	}
	return err
}
