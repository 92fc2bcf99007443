// The Python program that talks to libpam through ctypes, run as a child process by pam.ts: Node has no
// maintained PAM binding that builds offline, and a child keeps blocking PAM calls (and their privilege) out of the hub's loop.
//
// Protocol: argv = [service]; stdin = JSON {"username", "password"} (never argv: it would show in ps);
// exit 0 = authenticated and account valid, 1 = refused (stderr: the PAM error), 2 = PAM itself is unusable.

export const PAM_HELPER_SOURCE = String.raw`
import ctypes, ctypes.util, json, sys

def main():
    service = sys.argv[1]
    creds = json.loads(sys.stdin.read())
    username = creds["username"].encode("utf-8")
    password = creds["password"].encode("utf-8")
    name = ctypes.util.find_library("pam") or "libpam.so.0"
    try:
        pam = ctypes.CDLL(name)
    except OSError as err:
        print("cannot load libpam (%s): install libpam0g" % err, file=sys.stderr)
        return 2

    class Message(ctypes.Structure):
        _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]

    class Response(ctypes.Structure):
        _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]

    CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(Message)),
                            ctypes.POINTER(ctypes.POINTER(Response)), ctypes.c_void_p)

    class Conv(ctypes.Structure):
        _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.calloc.restype = ctypes.c_void_p
    libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    libc.strdup.restype = ctypes.c_void_p
    libc.strdup.argtypes = [ctypes.c_char_p]

    def converse(n, messages, responses, _data):
        # PAM frees the answers, so they are allocated with libc.
        array = libc.calloc(n, ctypes.sizeof(Response))
        if not array:
            return 5  # PAM_BUF_ERR
        answers = ctypes.cast(array, ctypes.POINTER(Response))
        for i in range(n):
            style = messages[i].contents.msg_style
            if style == 1:    # PAM_PROMPT_ECHO_OFF: the password
                answers[i].resp = libc.strdup(password)
            elif style == 2:  # PAM_PROMPT_ECHO_ON: the user name
                answers[i].resp = libc.strdup(username)
        responses[0] = answers
        return 0

    # PAM's own failure delay (pam_faildelay, often 3 s) would make a wrong password slower than an unknown user;
    # the hub pads every attempt to one fixed time instead.
    DELAY = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)
    no_delay = DELAY(lambda retval, usec, data: None)

    pam.pam_start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Conv), ctypes.POINTER(ctypes.c_void_p)]
    pam.pam_strerror.restype = ctypes.c_char_p
    pam.pam_strerror.argtypes = [ctypes.c_void_p, ctypes.c_int]
    pam.pam_set_item.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    handle = ctypes.c_void_p()
    conv = Conv(CONV(converse), None)
    rc = pam.pam_start(service.encode("utf-8"), username, ctypes.byref(conv), ctypes.byref(handle))
    if rc != 0:
        print("pam_start(%s) failed: %d" % (service, rc), file=sys.stderr)
        return 2
    pam.pam_set_item(handle, 10, ctypes.cast(no_delay, ctypes.c_void_p))  # PAM_FAIL_DELAY
    rc = pam.pam_authenticate(handle, 0)
    if rc == 0:
        rc = pam.pam_acct_mgmt(handle, 0)  # expired or locked accounts, access.conf
    message = pam.pam_strerror(handle, rc).decode("utf-8", "replace")
    pam.pam_end(handle, rc)
    if rc != 0:
        print("PAM error %d: %s" % (rc, message), file=sys.stderr)
        return 1
    return 0

sys.exit(main())
`;
