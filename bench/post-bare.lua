-- The bare POST: the same three fields to the reference binary, which validates and inserts a row.
wrk.method = "POST"
wrk.path = "/antrag"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "anliegen=frage&betreff=Stra%C3%9Fenlaterne+defekt" ..
  "&text=Die+Laterne+vor+der+Heidestra%C3%9Fe+17+ist+seit+einer+Woche+aus."
