package apis

import "testing"

func TestSearches(t *testing.T) {
	tests := []struct {
		body      string
		web, file int64
	}{
		{`{"model":"m"}`, 0, 0},
		{`{"model":"m","tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5}]}`, 5, 0},
		{`{"model":"m","tools":[{"type":"web_search_20250305","name":"web_search"}]}`, DefaultSearchesPerTool, 0},
		{`{"model":"m","tools":[{"type":"web_search"},{"type":"file_search"},{"name":"f","input_schema":{"type":"web_search"}}]}`, DefaultSearchesPerTool, DefaultSearchesPerTool},
		{`{"model":"m","max_tool_calls":3,"tools":[{"type":"web_search_preview"}]}`, 3, 0},
		{`{"model":"m","tools":[{"typ\u0065":"web_search","max_uses":2}]}`, 2, 0},
		{`{"model":"m","tools":[]}`, 0, 0},
	}
	for _, tt := range tests {
		info, err := ScanBody([]byte(tt.body))
		if err != nil {
			t.Fatal(tt.body, err)
		}
		web, file := Searches([]byte(tt.body), info, DefaultSearchesPerTool)
		if web != tt.web || file != tt.file {
			t.Errorf("Searches(%s) = %d, %d; want %d, %d", tt.body, web, file, tt.web, tt.file)
		}
	}
}
