from fiscus.cli import main

raise SystemExit(main())
