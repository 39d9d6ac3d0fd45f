from flightml.cli import main

raise SystemExit(main())
