# Real socket client used only to record fixtures: cases curl no longer produces
# (pipelining, a bare Upgrade request). Usage: raw-client.py pipeline|upgrade PORT
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(('127.0.0.1', port))
if mode == 'pipeline':
    reqs = b''.join(b'GET /hello?n=%d HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: raw-client\r\n\r\n' % i for i in range(3))
    s.sendall(reqs)
elif mode == 'upgrade':
    s.sendall(b'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
              b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    time.sleep(0.1)
    s.sendall(bytes([0x81, 0x82, 1, 2, 3, 4]) + bytes([ord('h') ^ 1, ord('i') ^ 2]))
s.settimeout(1.0)
data = b''
try:
    while True:
        c = s.recv(65536)
        if not c: break
        data += c
except socket.timeout:
    pass
s.close()
print(len(data), 'bytes received')
