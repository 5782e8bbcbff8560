// lua-health runs an ArgoCD health.lua script on one object, read as JSON from stdin, and prints
// the health it returns as {"status":"Healthy","message":"..."}. Usage: lua-health SCRIPT.
//
// It reproduces the sandbox ArgoCD's util/lua gives a health script from the argocd-cm
// ConfigMap (resource.customizations.health.<group>_<kind>) unless useOpenLibs is set for that
// kind: gopher-lua (Lua 5.1) with only the package, base and table libraries and a safe os
// (time and date). There is no string or math library, so a script that calls string.format
// or ("x"):lower() works in a stock Lua interpreter and fails in ArgoCD; running it here
// catches that.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
)

// The statuses ArgoCD accepts from a script; anything else becomes Unknown.
var valid = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true,
	"Suspended": true, "Missing": true, "Unknown": true,
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: lua-health SCRIPT < object.json")
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// ArgoCD hands the script an object from its cluster cache, decoded as unstructured
	// (integers as int64, which become Lua numbers); decode the same way.
	var obj unstructured.Unstructured
	if err := obj.UnmarshalJSON(data); err != nil {
		fail("decoding the object: %v", err)
	}

	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	// ArgoCD gives a script one second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(string(script)); err != nil {
		fail("%s: %v", os.Args[1], err)
	}

	// ArgoCD encodes the returned table to JSON and decodes it as its HealthStatus.
	var health struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	switch ret := l.Get(-1); ret.Type() {
	case lua.LTNil:
	case lua.LTTable:
		encoded, err := luajson.Encode(ret)
		if err != nil {
			fail("encoding the returned table: %v", err)
		}
		if err := json.Unmarshal(encoded, &health); err != nil {
			fail("the returned table is not a health status: %v (%s)", err, encoded)
		}
		if !valid[health.Status] {
			health.Status, health.Message = "Unknown", "Lua returned an invalid health status"
		}
	default:
		fail("expect table output from Lua script, not %s", ret.Type())
	}
	out, _ := json.Marshal(health)
	fmt.Println(string(out))
}

// toLua converts as ArgoCD's decodeValue does: JSON objects and arrays become tables, numbers
// become Lua numbers, null becomes nil (so a missing and a null field look the same).
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// openSafeOs stands in for ArgoCD's safe os library. Its os.time and os.date are not offered
// here: a health check that depends on the clock cannot be tested, so none of ours uses them.
func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, map[string]lua.LGFunction{}))
	return 1
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "lua-health: "+format+"\n", args...)
	os.Exit(1)
}
