# Real Python HTTP/1.0 server (BaseHTTPRequestHandler) whose responses carry no
# Content-Length: the body ends when the server closes the connection.
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.end_headers()
        self.wfile.write(b'close-delimited body from python\n' * 3)
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
