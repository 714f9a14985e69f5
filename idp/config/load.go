package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sources are the places Load reads, from lowest to highest precedence:
// defaults (chosen by Dev), File, the environment, Flags.
type Sources struct {
	// Flags holds only the flags the user actually set, keyed by option
	// name ("public_url", "database_url", "listen"); any option key is
	// accepted, an unknown one is an error.
	Flags map[string]string
	// Env looks up one environment variable: os.LookupEnv in production, a
	// map in tests. Nil means no environment. An empty value counts as unset.
	Env func(string) (string, bool)
	// Environ lists the environment as "NAME=value" entries (os.Environ in
	// production). Load uses only the names, to report GATEHOUSE_* variables
	// that are not options. Nil skips that check.
	Environ func() []string
	// File is the YAML file path; "" means none.
	File string
	// Dev selects the --dev defaults.
	Dev bool
}

// Load builds the configuration from src, checks it with Validate and, in
// dev mode without a master key, fills MasterKey from
// LoadOrCreateDevMasterKey(DataDir). It returns every problem found, joined:
// *UnknownOptionError for names that are not options, *FieldError for bad
// values. A file that cannot be read or parsed as YAML stops it early.
func Load(src Sources) (*Config, error) {
	c := Defaults(src.Dev)
	c.origins = map[string]string{}

	var errs []error
	if src.File != "" {
		fileErrs, err := c.loadFile(src.File)
		if err != nil {
			return nil, err
		}
		errs = append(errs, fileErrs...)
	}
	errs = append(errs, c.loadEnv(src.Env, src.Environ)...)
	errs = append(errs, c.loadFlags(src.Flags)...)

	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	c.deriveDefaults()
	errs = append(errs, c.problems()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	if c.Dev && c.MasterKey == "" {
		key, err := LoadOrCreateDevMasterKey(c.DataDir)
		if err != nil {
			return nil, err
		}
		c.MasterKey = key
		c.origins["master_key"] = "dev key file in data_dir"
	}
	return &c, nil
}

// set applies one string value from the environment or a flag, recording
// where it came from.
func (c *Config) set(o *option, v, origin string) error {
	if err := o.set(c, v); err != nil {
		return &FieldError{Option: o.key, Value: showValue(o.key, v), Problem: err.Error(), Origin: origin}
	}
	c.origins[o.key] = origin
	return nil
}

func (c *Config) loadEnv(lookup func(string) (string, bool), environ func() []string) []error {
	var errs []error
	if lookup != nil {
		for i := range options {
			o := &options[i]
			if v, ok := lookup(o.env); ok && v != "" {
				if err := c.set(o, v, o.env); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if environ == nil {
		return errs
	}
	var unknown []string
	for _, kv := range environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GATEHOUSE_") && optionByEnv(name) == nil && !reservedEnv(name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range slices.Compact(unknown) {
		errs = append(errs, &UnknownOptionError{
			Name:       name,
			Source:     "environment",
			Suggestion: suggest(name, optionEnvs()),
			Hint:       envHints[name],
		})
	}
	return errs
}

func reservedEnv(name string) bool {
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (c *Config) loadFlags(flags map[string]string) []error {
	var errs []error
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o := optionByKey(k)
		if o == nil {
			errs = append(errs, &UnknownOptionError{Name: k, Source: "flags", Suggestion: suggest(k, optionKeys())})
			continue
		}
		if err := c.set(o, flags[k], flagOrigin(k)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// flagOrigin names the command-line flag for option key: "public_url" is
// set by --public-url.
func flagOrigin(key string) string {
	return fmt.Sprintf("flag --%s", strings.NewReplacer("_", "-", ".", "-").Replace(key))
}
