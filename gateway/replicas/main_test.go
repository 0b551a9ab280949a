package replicas

import (
	"os"
	"testing"

	"github.com/tsplug/ts-plug/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
