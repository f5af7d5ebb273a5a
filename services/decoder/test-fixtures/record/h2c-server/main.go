// h2c server for the decoder's h2c-upgrade fixture: Go net/http behind x/net/http2/h2c, which
// accepts both prior knowledge and the HTTP/1.1 `Upgrade: h2c` request (101, then HTTP/2).
package main

import (
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/index.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello over h2c\n"))
	})
	mux.HandleFunc("/big.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strings.Repeat("z", 40000)))
	})
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[1], Handler: h2c.NewHandler(mux, &http2.Server{})}
	srv.ListenAndServe()
}
