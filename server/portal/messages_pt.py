# ruff: noqa: E501  (one message per line: grep finds a message and its translation together)
"""pt-BR translations of the portal's messages (English msgids, as written in the code).

Keep entries sorted by page. ``tests/server/portal/test_i18n.py`` fails when a message used in
a template or in the code has no entry here, or a placeholder differs.
"""

from __future__ import annotations

from ..i18n import Messages

PT_BR: dict[str, str] = {
    # layout
    "Club": "Clube",
    "Skip to content": "Pular para o conteúdo",
    "Language": "Idioma",
    "Main menu": "Menu principal",
    "Card": "Cartão",
    "Statement": "Extrato",
    "Offers": "Ofertas",
    "Vouchers": "Vales",
    "Privacy": "Privacidade",
    "Sign out": "Sair",
    "Back to the start": "Voltar ao início",
    "Club card": "Cartão do Clube",
    # errors
    "The form expired": "O formulário expirou",
    "The form expired or did not come from this site. Go back, reload the page and try again.": "O formulário expirou ou não veio deste site. Volte, recarregue a página e tente de novo.",
    "Too many attempts": "Muitas tentativas",
    "Too many attempts. Wait a few minutes and try again.": "Muitas tentativas. Aguarde alguns minutos e tente de novo.",
    "Page not found": "Página não encontrada",
    "This page does not exist.": "Esta página não existe.",
    # join
    "Join the club": "Participe do clube",
    "Already joined at a store with your CPF? Use the same CPF here to link your account.": "Já se cadastrou numa loja com seu CPF? Use o mesmo CPF aqui para vincular sua conta.",
    "CPF": "CPF",
    "Full name": "Nome completo",
    "E-mail": "E-mail",
    "Mobile phone with area code": "Celular com DDD",
    "Give an e-mail, a phone, or both.": "Informe um e-mail, um telefone ou os dois.",
    "Birth date": "Data de nascimento",
    "Card number (only if a store gave you a card)": "Número do cartão (só se uma loja lhe deu um cartão)",
    "Password (at least 8 characters)": "Senha (pelo menos 8 caracteres)",
    "Repeat the password": "Repita a senha",
    "Your consents": "Seus consentimentos",
    "I have read and accept the programme terms (required to join).": "Li e aceito o regulamento do programa (obrigatório para participar).",
    "Send me offers by e-mail (optional).": "Quero receber ofertas por e-mail (opcional).",
    "Send me offers by SMS (optional).": "Quero receber ofertas por SMS (opcional).",
    "You can change these choices at any time under Privacy.": "Você pode mudar essas escolhas a qualquer momento em Privacidade.",
    "Join": "Participar",
    "Already have an account? Sign in": "Já tem conta? Entre",
    "Welcome! Your card is ready.": "Bem-vindo! Seu cartão está pronto.",
    "Welcome back! Your store card is now linked to this account.": "Bem-vindo de volta! Seu cartão da loja agora está vinculado a esta conta.",
    # sign in, reset
    "Sign in": "Entrar",
    "CPF or e-mail": "CPF ou e-mail",
    "Password": "Senha",
    "Forgot your password?": "Esqueceu a senha?",
    "Not a member yet? Join the club": "Ainda não participa? Cadastre-se",
    "Your session has ended. Please sign in again.": "Sua sessão terminou. Entre novamente.",
    "Type the e-mail of your account. We will send a link to choose a new password.": "Digite o e-mail da sua conta. Enviaremos um link para criar uma nova senha.",
    "Send the link": "Enviar o link",
    "Check your e-mail": "Confira seu e-mail",
    "If this e-mail has an account, a link to choose a new password is on its way. "
    "It works once, for a limited time.": "Se este e-mail tiver uma conta, um link para criar uma nova senha está a caminho. "
    "Ele funciona uma vez, por tempo limitado.",
    "Back to sign in": "Voltar para entrar",
    "Choose a new password": "Crie uma nova senha",
    "New password (at least 8 characters)": "Nova senha (pelo menos 8 caracteres)",
    "Save the new password": "Salvar a nova senha",
    "Hello {name},\n\nTo choose a new password for your club account, open this link "
    "(valid for {minutes} minutes, once):\n\n{url}\n\nIf you did not ask for it, ignore "
    "this message: your password stays the same.\n": "Olá, {name},\n\nPara criar uma nova senha da sua conta do clube, abra este link "
    "(vale por {minutes} minutos, uma vez):\n\n{url}\n\nSe você não pediu, ignore "
    "esta mensagem: sua senha continua a mesma.\n",
    "Reset your club password": "Redefina a senha do clube",
    "Your password was changed. Sign in with the new one.": "Sua senha foi alterada. Entre com a nova.",
    "Link not valid": "Link inválido",
    "Change password": "Alterar senha",
    "Current password": "Senha atual",
    "Password changed. Other devices were signed out.": "Senha alterada. Os outros aparelhos foram desconectados.",
    # home, balances
    "Hello, {name}": "Olá, {name}",
    "Show my card": "Mostrar meu cartão",
    "{n} offers waiting for you to activate": "{n} ofertas esperando você ativar",
    "Vouchers and raffles": "Vales e sorteios",
    "Privacy and my data": "Privacidade e meus dados",
    "Your balance": "Seu saldo",
    "Points available": "Pontos disponíveis",
    "pending": "a liberar",
    "expiring in 30 days": "vencem em 30 dias",
    "Cashback available": "Cashback disponível",
    # card
    "My card": "Meu cartão",
    "No signal: show the barcode below. Reconnect to refresh the QR code.": "Sem sinal: mostre o código de barras abaixo. Conecte-se para atualizar o QR code.",
    "Code valid until {time}": "Código válido até {time}",
    "Sign in again to refresh your code.": "Entre novamente para atualizar seu código.",
    "Show this code at the till. It changes every few minutes.": "Mostre este código no caixa. Ele muda a cada poucos minutos.",
    "Your QR code for the till": "Seu QR code para o caixa",
    "Loading your code...": "Carregando seu código...",
    "Card barcode {number}": "Código de barras do cartão {number}",
    "Card number": "Número do cartão",
    "Your account has no active card.": "Sua conta não tem cartão ativo.",
    # statement
    "Movements": "Movimentos",
    "No movements yet.": "Nenhum movimento ainda.",
    "pts": "pts",
    "available from {d}": "disponível a partir de {d}",
    "expires {d}": "vence em {d}",
    "Expiring soon": "A vencer",
    "{n} points": "{n} pontos",
    "of cashback": "de cashback",
    "expire on {d}": "expira em {d}",
    "earn": "Crédito",
    "redeem": "Resgate",
    "expire": "Vencimento",
    "reverse": "Estorno",
    "adjust": "Ajuste",
    "mature": "Liberação",
    "migration": "Saldo migrado",
    # offers
    "Your offers": "Suas ofertas",
    "No offers for you right now.": "Nenhuma oferta para você agora.",
    "Your price": "Seu preço",
    "until {d}": "até {d}",
    "Applies automatically at the till.": "Vale automaticamente no caixa.",
    "Activated on {d}": "Ativada em {d}",
    "Activate offer": "Ativar oferta",
    "This offer has ended.": "Esta oferta terminou.",
    "Offer activated: the offer price applies at the till from the next purchase.": "Oferta ativada: o preço da oferta vale no caixa a partir da próxima compra.",
    # vouchers, raffles
    "You have no vouchers.": "Você não tem vales.",
    "valid until {d}": "válido até {d}",
    "valid": "válido",
    "used": "usado",
    "expired": "vencido",
    "void": "cancelado",
    "not_yet": "ainda não vale",
    "Raffles": "Sorteios",
    "No raffles running.": "Nenhum sorteio em andamento.",
    "One number for each {amount} spent. Draw by the Loteria Federal. Authorisation {auth}.": "Um número a cada {amount} em compras. Apuração pela Loteria Federal. Certificado de autorização {auth}.",
    "You have no numbers in this raffle yet.": "Você ainda não tem números neste sorteio.",
    # privacy
    "Your data": "Seus dados",
    "Name": "Nome",
    "Phone": "Telefone",
    "Download all my data (JSON)": "Baixar todos os meus dados (JSON)",
    "Programme terms": "Regulamento do programa",
    "accepted": "aceito",
    "not accepted": "não aceito",
    "To withdraw it, delete your account below.": "Para retirá-lo, exclua sua conta abaixo.",
    "Send me offers by e-mail": "Quero receber ofertas por e-mail",
    "Send me offers by SMS": "Quero receber ofertas por SMS",
    "Save my choices": "Salvar minhas escolhas",
    "Your choices were saved.": "Suas escolhas foram salvas.",
    "Nothing changed.": "Nada mudou.",
    "History": "Histórico",
    "When": "Quando",
    "Consent": "Consentimento",
    "Choice": "Escolha",
    "Where": "Onde",
    "yes": "sim",
    "no": "não",
    "terms": "Regulamento",
    "marketing_email": "Ofertas por e-mail",
    "marketing_sms": "Ofertas por SMS",
    "portal": "Portal",
    "till": "Loja",
    "deletion": "Exclusão da conta",
    "Delete my account": "Excluir minha conta",
    "Your name, CPF, e-mail, phone and birth date are removed and your card is blocked. Points and "
    "cashback are lost. Purchase amounts stay in our accounts without your name, as the law requires.": "Seu nome, CPF, e-mail, telefone e data de nascimento são apagados e seu cartão é bloqueado. "
    "Pontos e cashback são perdidos. Os valores das compras ficam na nossa contabilidade sem o seu "
    "nome, como a lei exige.",
    "I understand: delete my account": "Entendi: excluir minha conta",
    "Not deleted": "Conta não excluída",
    "Tick the box to confirm that you want to delete your account.": "Marque a caixa para confirmar que deseja excluir sua conta.",
    "Account deleted": "Conta excluída",
    "Your personal data was removed and your card was blocked. The stores stop recognising it at "
    "their next update. Amounts in our accounts stay, without your name, as the law requires.": "Seus dados pessoais foram apagados e seu cartão foi bloqueado. As lojas deixam de reconhecê-lo "
    "na próxima atualização. Os valores ficam na nossa contabilidade, sem o seu nome, como a lei exige.",
}

MESSAGES = Messages("portal", PT_BR)
