package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFile(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		want  []string // problemNames
		check func(t *testing.T, err error)
	}{
		{
			name: "unknown top-level key",
			yaml: "listen: :9000\n# comment\npublc_url: https://x\n",
			want: []string{"unknown:publc_url"},
			check: func(t *testing.T, err error) {
				var ue *UnknownOptionError
				errors.As(err, &ue)
				if ue.Line != 3 || ue.Suggestion != "public_url" || !strings.HasPrefix(ue.Source, "file ") {
					t.Errorf("got %+v", ue)
				}
				if !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "'publc_url'") {
					t.Errorf("error %q does not name the key and line", err)
				}
			},
		},
		{
			name: "unknown nested key",
			yaml: "database:\n  max_conns: 8\n  max_con: 9\n",
			want: []string{"unknown:database.max_con"},
			check: func(t *testing.T, err error) {
				var ue *UnknownOptionError
				errors.As(err, &ue)
				if ue.Line != 3 || ue.Suggestion != "database.max_conns" {
					t.Errorf("got %+v", ue)
				}
			},
		},
		{
			name: "dev is not a file option",
			yaml: "dev: true\n",
			want: []string{"unknown:dev"},
		},
		{
			name: "bad types named, all reported",
			yaml: "database:\n  max_conns: lots\nargon2:\n  parallelism: 300\nallow_insecure_http: maybe\nsmtp: smtp://u:hunter2@mail\n",
			want: []string{"database.max_conns", "argon2.parallelism", "allow_insecure_http", "smtp"},
			check: func(t *testing.T, err error) {
				fes := fieldErrors(err)
				if fe := fes["database.max_conns"]; fe.Value != "lots" || fe.Problem != problemInt || !strings.HasSuffix(fe.Origin, "line 2") {
					t.Errorf("max_conns: %+v", fe)
				}
				if fe := fes["argon2.parallelism"]; fe.Problem != problemUint(8) || fe.Value != "300" {
					t.Errorf("parallelism: %+v", fe)
				}
				if fe := fes["smtp"]; fe.Problem != problemTable || fe.Value != "" {
					t.Errorf("smtp: %+v", fe)
				}
				mustNotContain(t, "error", err.Error(), "hunter2", "smtp://u:h")
			},
		},
		{
			name: "flow style picks the right value",
			yaml: "database: {max_conns: 4, min_conns: few}\n",
			want: []string{"database.min_conns"},
		},
		{
			name: "secret with the wrong type is not echoed",
			yaml: "master_key: {k: hunter2}\nsms:\n  webhook:\n    secret: [hunter3]\n",
			want: []string{"master_key", "sms.webhook.secret"},
			check: func(t *testing.T, err error) {
				mustNotContain(t, "error", err.Error(), "hunter2", "hunter3")
			},
		},
		{
			name: "key set twice",
			yaml: "listen: :1\nlisten: :2\n",
			want: []string{"listen"},
			check: func(t *testing.T, err error) {
				if fe := fieldErrors(err)["listen"]; !strings.Contains(fe.Error(), "more than once") || !strings.HasSuffix(fe.Origin, "line 2") {
					t.Errorf("got %v", fe)
				}
			},
		},
		{
			name: "not a mapping",
			yaml: "- listen\n",
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "mapping of options") {
					t.Errorf("err = %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(src{env: prodEnv(nil), yaml: tt.yaml}.sources(t))
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			if tt.want != nil {
				got := problemNames(err)
				slices.Sort(got)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("problems = %v, want %v\n%v", got, want, err)
				}
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestFileFatal(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		_, err := Load(Sources{File: filepath.Join(t.TempDir(), "nope.yaml")})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
	})
	for name, doc := range map[string]string{
		"syntax":          "listen: [\n",
		"two documents":   "listen: :1\n---\nlisten: :2\n",
		"bad indentation": "listen: :1\n  data_dir: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := src{env: prodEnv(nil), yaml: doc}.sources(t)
			_, err := Load(s)
			if err == nil || !strings.Contains(err.Error(), s.File) {
				t.Errorf("err = %v, want one naming the file", err)
			}
		})
	}
	t.Run("empty file", func(t *testing.T) {
		if _, err := Load(src{env: prodEnv(nil), yaml: "# nothing yet\n"}.sources(t)); err != nil {
			t.Error(err)
		}
	})
}

func TestFileKeepsDefaultsOfSiblings(t *testing.T) {
	c, err := Load(src{env: prodEnv(nil), yaml: "database:\n  min_conns: 2\nsms:\n  twilio:\n    from: '+15005550006'\n"}.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.MaxConns != DefaultDBMaxConns || c.Database.MinConns != 2 || c.SMS.Twilio.APIURL != DefaultTwilioAPIURL {
		t.Errorf("database=%+v twilio=%+v", c.Database, c.SMS.Twilio)
	}
}
