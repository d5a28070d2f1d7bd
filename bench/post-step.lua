-- POSTs the first step of the contact form (validate, save the draft, 303) with the session made by
-- bench_form_session; bench/run passes cookie, step path and CSRF token in the environment.
wrk.method = "POST"
wrk.path = os.getenv("STEP")
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Origin"] = os.getenv("ORIGIN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "csrf_token=" .. os.getenv("CSRF") ..
  "&anliegen=frage&betreff=Stra%C3%9Fenlaterne+defekt" ..
  "&text=Die+Laterne+vor+der+Heidestra%C3%9Fe+17+ist+seit+einer+Woche+aus.&aktion=weiter"
