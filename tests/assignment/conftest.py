"""Assignment tests create many agents: a cheap password hash keeps them fast (sign-in is tested elsewhere)."""




